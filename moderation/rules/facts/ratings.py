"""What the rating rules know of earlier ratings and of raters, read for a whole batch in one
statement: banned_rater (the rater's ban, or an anonymous rater's address banned), rating_flood
(earlier ratings by the same rater and address) and brigading (the burst and usual rate of each
author's ratings, and whether each rater has history). `load_facts` returns facts by rule name.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from moderation.db.pool import Connection
from moderation.rules.base import Item

# rating_flood: the history is read a day back at most; a count above the cap is a flood under
# any sensible setting.
LOOKBACK_S = 86_400
RECENT_CAP = 1000
# brigading: the burst is the last hour; "usual" is the 30 days before it.
BURST_S = 3600
BASELINE_S = 30 * 86_400

# One row per rating. brigading measures each (site, author) of the batch up to the newest of
# its ratings there; rating_flood gives the ages (seconds before the rating) of earlier ratings by
# the same rater and from the same IP hash.
RATING_FACTS = f"""
WITH i AS (
    SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::bytea[],
                         $6::timestamptz[], $7::boolean[])
                  AS i(site_id, rating_id, author, rater, ip_hash, created_at, verified)
), g AS (
    SELECT site_id, author, max(created_at) AS anchor,
           max(created_at) - make_interval(secs => {BURST_S}) AS burst_start
      FROM i GROUP BY site_id, author
), f AS (
    SELECT g.*, w.recent, w.recent_new, b.baseline, b.first_at FROM g
    CROSS JOIN LATERAL (
        SELECT count(*) AS recent,
               count(*) FILTER (WHERE NOT EXISTS (
                   SELECT FROM ratings p WHERE p.site_id = r.site_id AND p.rater = r.rater
                                           AND p.created_at <= g.burst_start)) AS recent_new
          FROM ratings r
         WHERE r.site_id = g.site_id AND r.author = g.author
           AND r.created_at > g.burst_start AND r.created_at <= g.anchor) w
    CROSS JOIN LATERAL (
        SELECT count(*) AS baseline, min(r.created_at) AS first_at FROM ratings r
         WHERE r.site_id = g.site_id AND r.author = g.author
           AND r.created_at > g.burst_start - make_interval(secs => {BASELINE_S})
           AND r.created_at <= g.burst_start) b
)
SELECT i.site_id, i.rating_id,
       (SELECT coalesce(b.reason, '') FROM (
            SELECT c.ban_reason AS reason FROM commenters c
             WHERE c.site_id = i.site_id AND c.commenter = i.rater
               AND c.banned_until > i.created_at
            UNION ALL
            SELECT a.reason FROM address_bans a
             WHERE NOT i.verified AND i.ip_hash IS NOT NULL
               AND a.site_id = i.site_id AND a.address_hash = i.ip_hash
               AND a.banned_until > i.created_at) b LIMIT 1) AS ban_reason,
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
           AND r.created_at <= i.created_at) AS ip_author_count,
       f.recent, f.recent_new, f.baseline,
       extract(epoch FROM f.burst_start - f.first_at)::float8 AS baseline_s,
       EXISTS (SELECT FROM ratings p WHERE p.site_id = i.site_id AND p.rater = i.rater
                                       AND p.created_at <= f.burst_start) AS established
  FROM i JOIN f ON f.site_id = i.site_id AND f.author = i.author"""


async def load_facts(conn: Connection, items: Sequence[Item],
                     now: datetime) -> dict[str, dict[tuple, Any]]:
    """The facts of banned_rater, rating_flood and brigading for a batch, by rule name."""
    ratings = [i for i in items if i.kind == "rating"]
    if not ratings:
        return {}
    rows = await conn.fetch(
        RATING_FACTS, [i.site_id for i in ratings], [i.item_id for i in ratings],
        [i.author for i in ratings], [i.commenter for i in ratings], [i.ip_hash for i in ratings],
        [i.created_at for i in ratings], [i.verified for i in ratings])
    facts: dict[str, dict[tuple, Any]] = {"banned_rater": {}, "rating_flood": {}, "brigading": {}}
    for r in rows:
        key = (r["site_id"], "rating", r["rating_id"])
        if r["ban_reason"] is not None:
            facts["banned_rater"][key] = {"reason": r["ban_reason"]}
        facts["rating_flood"][key] = {"rater_ages": r["rater_ages"], "ip_ages": r["ip_ages"],
                                      "ip_author_count": r["ip_author_count"]}
        facts["brigading"][key] = {
            "recent": r["recent"], "recent_new": r["recent_new"], "baseline": r["baseline"],
            "baseline_s": r["baseline_s"], "established": r["established"]}
    return facts
