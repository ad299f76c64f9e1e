"""The registry of item kinds: each kind's module (moderation/queue/kinds/<kind>.py) implements
`ItemKind` once; adding a kind is that module and a line here."""

from __future__ import annotations

import asyncpg

from moderation.db.pool import Connection
from moderation.errors import not_found
from moderation.queue import jobs
from moderation.queue.kinds.appeal import APPEAL
from moderation.queue.kinds.base import ItemKind, union_all
from moderation.queue.kinds.comment import COMMENT
from moderation.queue.kinds.rating import RATING
from moderation.rules import rules_for

KINDS: dict[str, ItemKind] = {kind.name: kind for kind in (COMMENT, RATING, APPEAL)}


def kind_named(name: str) -> ItemKind:
    """The kind an API path or a job names; 404 for one there is not."""
    kind = KINDS.get(name)
    if kind is None:
        raise not_found("kind")
    return kind


# The kinds the rules judge: only these have jobs and verdicts (appeals are a moderator's alone).
JUDGED: tuple[ItemKind, ...] = tuple(kind for kind in KINDS.values() if rules_for(kind.name))

# The claim (moderation.queue.jobs.CLAIM_TEMPLATE), reading the pending items of every kind the
# rules judge.
CLAIM = jobs.CLAIM_TEMPLATE.replace("{item_reads}", union_all(jobs.ITEM_READ, JUDGED))


async def claim(conn: Connection, limit: int, worker: str, lease_s: float) -> list[asyncpg.Record]:
    """Claims up to `limit` jobs of any kind, each with its pending item and its site's versions."""
    return await jobs.claim(conn, CLAIM, limit, worker, lease_s)
