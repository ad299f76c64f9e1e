"""rating_flood: too many ratings from one rater, or from one IP address, within a window → hold.

A rater rating many authors in an hour, or one address sending the ratings of many "readers",
is how stars are stuffed; so is one address rating the same author again and again under fresh
browser fingerprints (`max_per_ip_author` a day). An office or a household behind one address sends a handful, which the
defaults leave alone. The history is read for a day back at most, so `window_s` ≤ 86400.
"""

from datetime import datetime
from typing import Any, Literal, Sequence

from pydantic import Field

from moderation.rules.base import Item, Rule, RuleContext, RuleParams, Verdict

NAME = "rating_flood"
LOOKBACK_S = 86_400
RECENT_CAP = 1000  # a count above this is a flood under any sensible setting

# For each rating of the batch: the ages (seconds before it) of earlier ratings by the same rater
# and from the same IP hash, within the lookback.
RECENT_RATINGS = f"""
SELECT i.site_id, i.rating_id,
       ARRAY(SELECT extract(epoch FROM i.created_at - r.created_at)::float8 FROM ratings r
              WHERE r.site_id = i.site_id AND r.rater = i.rater AND r.rating_id <> i.rating_id
                AND r.created_at > i.created_at - make_interval(secs => {LOOKBACK_S})
                AND r.created_at <= i.created_at
              ORDER BY r.created_at DESC LIMIT {RECENT_CAP}) AS rater_ages,
       ARRAY(SELECT extract(epoch FROM i.created_at - r.created_at)::float8 FROM ratings r
              WHERE i.ip_hash IS NOT NULL
                AND r.site_id = i.site_id AND r.ip_hash = i.ip_hash AND r.rating_id <> i.rating_id
                AND r.created_at > i.created_at - make_interval(secs => {LOOKBACK_S})
                AND r.created_at <= i.created_at
              ORDER BY r.created_at DESC LIMIT {RECENT_CAP}) AS ip_ages,
       (SELECT count(*) FROM ratings r
         WHERE i.ip_hash IS NOT NULL
           AND r.site_id = i.site_id AND r.ip_hash = i.ip_hash AND r.author = i.author
           AND r.rating_id <> i.rating_id AND r.status <> 'rejected'
           AND r.created_at > i.created_at - make_interval(secs => {LOOKBACK_S})
           AND r.created_at <= i.created_at) AS ip_author_count
  FROM unnest($1::text[], $2::bigint[], $3::text[], $4::bytea[], $5::timestamptz[], $6::text[])
       AS i(site_id, rating_id, rater, ip_hash, created_at, author)"""


class RatingFloodParams(RuleParams):
    action: Literal["hold", "reject"] = "hold"
    window_s: int = Field(default=3600, ge=60, le=LOOKBACK_S)
    # Ratings (this one included) one rater may send within the window.
    max_per_rater: int = Field(default=10, ge=1, le=RECENT_CAP)
    # Ratings (this one included) one IP address may send within the window.
    max_per_ip: int = Field(default=30, ge=1, le=RECENT_CAP)
    # Ratings (this one included) for one author from one IP address within a day.
    max_per_ip_author: int = Field(default=8, ge=1, le=RECENT_CAP)


async def load_facts(conn: Any, items: Sequence[Item], now: datetime) -> dict[tuple, Any]:
    ratings = [i for i in items if i.kind == "rating"]
    if not ratings:
        return {}
    rows = await conn.fetch(RECENT_RATINGS, [i.site_id for i in ratings],
                            [i.item_id for i in ratings], [i.commenter for i in ratings],
                            [i.ip_hash for i in ratings], [i.created_at for i in ratings],
                            [i.author for i in ratings])
    return {(r["site_id"], "rating", r["rating_id"]): {
        "rater_ages": r["rater_ages"], "ip_ages": r["ip_ages"],
        "ip_author_count": r["ip_author_count"]} for r in rows}


def check(ctx: RuleContext, params: RatingFloodParams) -> Verdict:
    facts = ctx.facts.get(NAME) or {}
    by_rater = 1 + sum(1 for age in facts.get("rater_ages", ()) if age < params.window_s)
    by_ip = 1 + sum(1 for age in facts.get("ip_ages", ()) if age < params.window_s)
    if by_rater > params.max_per_rater:
        return Verdict(NAME, params.action, min(1.0, by_rater / (2 * params.max_per_rater)),
                       f"{by_rater} ratings from this rater in {params.window_s} s, "
                       f"more than {params.max_per_rater}", {"rater_ratings": by_rater})
    if by_ip > params.max_per_ip:
        return Verdict(NAME, params.action, min(1.0, by_ip / (2 * params.max_per_ip)),
                       f"{by_ip} ratings from this address in {params.window_s} s, "
                       f"more than {params.max_per_ip}", {"ip_ratings": by_ip})
    by_ip_author = 1 + facts.get("ip_author_count", 0)
    if by_ip_author > params.max_per_ip_author:
        return Verdict(NAME, params.action, min(1.0, by_ip_author / (2 * params.max_per_ip_author)),
                       f"{by_ip_author} ratings of this author from this address in a day, "
                       f"more than {params.max_per_ip_author}", {"ip_author_ratings": by_ip_author})
    return Verdict(NAME, "allow", 0.0, "", {"rater_ratings": by_rater, "ip_ratings": by_ip})


RULE = Rule(NAME, frozenset({"rating"}), RatingFloodParams, check, load_facts)
