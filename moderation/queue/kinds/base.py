"""What every kind of item (comment, rating, appeal) tells the queue and the moderators.

A kind is one module of moderation/queue/kinds/ implementing `ItemKind`, and one line of the
registry in moderation/queue/kinds/__init__.py.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

import asyncpg

from moderation.db.pool import Connection
from moderation.judging.pipeline import Judgement


class ItemKind(Protocol):
    # The word for it everywhere: jobs.kind, verdicts.kind, audit.kind, claims.kind, the API's
    # {kind}, the 404's "no such …".
    name: str
    table: str
    id_column: str
    person_column: str
    # The keyed hash of the address the item was sent from, or None for a kind without one: a
    # ban takes an anonymous person's recent addresses from every kind that has one.
    address_column: str | None
    # Whether a person's profile counts their items of this kind per status.
    in_profile: bool
    # The claim's read of a pending item (alias x): created_at, person, ip_hash, verified, thread,
    # parent_id, body, signals, text_hash, author, score, each cast to its type (queue.jobs.ITEM_READ).
    claim_columns: str
    # The review listing's columns (alias i): id, thread, parent_id, author_name, person, body,
    # score, author, verified.
    review_columns: str
    # The item as a decision or claim sees it, by ($1 site, $2 id): status, revision, person, ….
    current: str

    async def apply_rules(self, conn: Connection, jobs: list[asyncpg.Record],
                          judged: dict[int, Judgement]) -> tuple[int, list[Judgement]]:
        """Finishes the kind's claimed jobs and applies their judgements (by job id) to the
        versions judged while still pending, with verdicts, audit rows and review priorities:
        (jobs finished, judgements applied, each with the status stored)."""
        ...

    async def lock_for_decision(self, conn: Connection, site_id: str) -> None:
        """Locks taken before the item's row, in the order the rule workers take them."""
        ...

    def settled(self, status: str, target: str) -> bool:
        """Whether an item in `status` already is what a moderator's `target` asks for."""
        ...

    async def apply_moderator(self, conn: Connection, site_id: str, item_id: int,
                              before: asyncpg.Record, target: str) -> str:
        """A moderator's decision on the locked item (`before`); returns the status stored."""
        ...

    async def reports_of(self, conn: Connection, site_id: str,
                         ids: list[int]) -> list[asyncpg.Record]:
        """Readers' reports of these items (item id as comment_id), oldest first."""
        ...

    def queue_fields(self, row: asyncpg.Record, reports: list[asyncpg.Record]) -> dict[str, Any]:
        """What a queue item of this kind shows besides the shared fields."""
        ...


def union_all(template: str, kinds: Iterable[ItemKind]) -> str:
    """One SELECT of `template` per kind, which it names as `{kind.table}`, `{kind.id_column}`,
    …, as one UNION ALL: a statement over every kind is built here, never written out by hand."""
    return "\nUNION ALL".join(template.format(kind=kind) for kind in kinds)
