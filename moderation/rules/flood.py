"""flood: too many comments from one commenter or one IP in a short window → hold.

Defaults let a busy office behind one IP through (40 a minute per IP) while a script posting 100
a minute is stopped after its 40th; one commenter may post 8 a minute. Counts run up to the
comment's own time, so a replay (dry-run) sees what the worker saw. Comments stored by one
statement share a timestamp (an import, never separate HTTP requests) and do not count as a burst.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Literal

from pydantic import Field

from moderation.rules.base import Item, Rule, RuleContext, RuleParams, Verdict

NAME = "flood"
WINDOWS = (60, 600, 3600)

COUNT_RECENT = """
SELECT i.n,
       c.in_60 AS commenter_60, c.in_600 AS commenter_600, c.in_3600 AS commenter_3600,
       p.in_60 AS ip_60, p.in_600 AS ip_600, p.in_3600 AS ip_3600
  FROM unnest($1::text[], $2::text[], $3::bytea[], $4::timestamptz[])
       WITH ORDINALITY AS i(site_id, commenter, ip_hash, created_at, n)
  CROSS JOIN LATERAL (
      SELECT count(*) FILTER (WHERE x.created_at >= i.created_at - interval '60 s') AS in_60,
             count(*) FILTER (WHERE x.created_at >= i.created_at - interval '600 s') AS in_600,
             count(*) AS in_3600
        FROM comments x
       WHERE x.site_id = i.site_id AND x.commenter = i.commenter
         AND x.created_at >= i.created_at - interval '3600 s' AND x.created_at < i.created_at) c
  CROSS JOIN LATERAL (
      SELECT count(*) FILTER (WHERE x.created_at >= i.created_at - interval '60 s') AS in_60,
             count(*) FILTER (WHERE x.created_at >= i.created_at - interval '600 s') AS in_600,
             count(*) AS in_3600
        FROM comments x
       WHERE i.ip_hash IS NOT NULL AND x.site_id = i.site_id AND x.ip_hash = i.ip_hash
         AND x.created_at >= i.created_at - interval '3600 s' AND x.created_at < i.created_at) p"""


class FloodParams(RuleParams):
    action: Literal["hold", "reject"] = "hold"
    window_s: Literal[60, 600, 3600] = 60
    # The most comments (this one included) allowed in the window.
    max_per_commenter: int = Field(default=8, ge=1, le=10_000)
    max_per_ip: int = Field(default=40, ge=1, le=10_000)


async def load_facts(conn, items: Sequence[Item], now: datetime) -> dict[tuple, dict[str, int]]:
    """Earlier comments of each item's commenter and IP in the last 1, 10 and 60 minutes."""
    comments = [item for item in items if item.kind == "comment" and item.commenter]
    if not comments:
        return {}
    rows = await conn.fetch(COUNT_RECENT, [i.site_id for i in comments],
                            [i.commenter for i in comments], [i.ip_hash for i in comments],
                            [i.created_at for i in comments])
    return {comments[row["n"] - 1].key: {k: v for k, v in row.items() if k != "n"} for row in rows}


def check(ctx: RuleContext, params: FloodParams) -> Verdict:
    facts = ctx.facts.get(NAME)
    if not facts:
        return Verdict(NAME, "allow")
    window = params.window_s
    by_commenter = facts.get(f"commenter_{window}", 0) + 1
    by_ip = facts.get(f"ip_{window}", 0) + 1
    details = {"window_s": window, "by_commenter": by_commenter, "by_ip": by_ip}
    if by_commenter > params.max_per_commenter:
        return Verdict(NAME, params.action, min(1.0, by_commenter / params.max_per_commenter / 2),
                       f"{by_commenter} comments from this commenter in {window} s, "
                       f"more than {params.max_per_commenter}", details)
    if by_ip > params.max_per_ip:
        return Verdict(NAME, params.action, min(1.0, by_ip / params.max_per_ip / 2),
                       f"{by_ip} comments from this IP in {window} s, more than {params.max_per_ip}",
                       details)
    return Verdict(NAME, "allow", 0.0, "", details)


RULE = Rule(NAME, frozenset({"comment"}), FloodParams, check, load_facts)
