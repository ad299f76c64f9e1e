"""commenter: a banned commenter → reject; premoderation of new commenters → hold.

Premoderation is the site setting `premoderation`: `off`, `first_n` (a commenter's first
`first_n` comments wait for a moderator) or `all`. A trusted commenter — at least
`trusted_after` approved comments and none rejected — skips it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Literal

from pydantic import Field

from moderation.rules.base import Item, Rule, RuleContext, RuleParams, Verdict

NAME = "commenter"

HISTORY = """
SELECT i.n, m.banned_until, m.ban_reason, h.earlier, h.approved, h.rejected
  FROM unnest($1::text[], $2::text[], $3::bigint[]) WITH ORDINALITY AS i(site_id, commenter,
                                                                        comment_id, n)
  LEFT JOIN commenters m ON m.site_id = i.site_id AND m.commenter = i.commenter
  CROSS JOIN LATERAL (
      SELECT count(*) AS earlier,
             count(*) FILTER (WHERE c.status = 'approved') AS approved,
             count(*) FILTER (WHERE c.status = 'rejected') AS rejected
        FROM comments c
       WHERE c.site_id = i.site_id AND c.commenter = i.commenter
         AND c.comment_id < i.comment_id AND c.status <> 'deleted') h"""


@dataclass(frozen=True, slots=True)
class History:
    banned_until: datetime | None = None
    ban_reason: str | None = None
    earlier: int = 0  # comments before this one, any status but deleted
    approved: int = 0
    rejected: int = 0


class CommenterParams(RuleParams):
    action: Literal["hold", "reject"] = "hold"
    banned_action: Literal["hold", "reject"] = "reject"
    trusted_after: int = Field(default=5, ge=1, le=10_000)


async def load_facts(conn, items: Sequence[Item], now: datetime) -> dict[tuple, History]:
    comments = [item for item in items if item.kind == "comment" and item.commenter]
    if not comments:
        return {}
    rows = await conn.fetch(HISTORY, [i.site_id for i in comments],
                            [i.commenter for i in comments], [i.item_id for i in comments])
    return {comments[row["n"] - 1].key: History(_aware(row["banned_until"]), row["ban_reason"],
                                                row["earlier"], row["approved"], row["rejected"])
            for row in rows}


def _aware(moment: datetime | None) -> datetime | None:
    # asyncpg reads 'infinity' (a permanent ban) as a naive datetime.max.
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment


def is_trusted(approved: int, rejected: int, trusted_after: int) -> bool:
    """The one definition of a trusted commenter, for this rule and for what moderators see."""
    return approved >= trusted_after and rejected == 0


def trusted_after(settings) -> int:
    """The site's setting for how many approved comments make a commenter trusted."""
    return settings.rule_params()[NAME].trusted_after


def check(ctx: RuleContext, params: CommenterParams) -> Verdict:
    history: History = ctx.facts.get(NAME) or History()
    if history.banned_until is not None and history.banned_until > ctx.now:
        until = ("for good" if history.banned_until.year >= 9999
                 else f"until {history.banned_until:%Y-%m-%d %H:%M} UTC")
        return Verdict(NAME, params.banned_action, 1.0, f"commenter banned {until}",
                       {"ban_reason": history.ban_reason} if history.ban_reason else {})
    settings = ctx.site.settings
    mode = getattr(settings, "premoderation", "off")
    if mode == "off":
        return Verdict(NAME, "allow")
    trusted = is_trusted(history.approved, history.rejected, params.trusted_after)
    details = {"approved": history.approved, "rejected": history.rejected, "trusted": trusted}
    if trusted:
        return Verdict(NAME, "allow", 0.0, "trusted commenter", details)
    if mode == "all":
        return Verdict(NAME, params.action, 0.5, "premoderation: every comment", details)
    first_n = getattr(settings, "first_n", 1)
    if history.earlier < first_n:
        return Verdict(NAME, params.action, 0.5,
                       f"premoderation: comment {history.earlier + 1} of the first {first_n}",
                       details)
    return Verdict(NAME, "allow", 0.0, "", details)


RULE = Rule(NAME, frozenset({"comment"}), CommenterParams, check, load_facts)
