"""Author ratings: accepting them, deciding them, and reading the aggregates, with the SQL that does it.

Accepting a rating is one statement (the rating and its rule job together). Deciding one goes
through `apply_statuses`, which the rule workers and moderators share: it takes the site's lock
row first, retires the rater's older approved rating when a newer one is approved (one rating per
rater and author), and lets the trigger of sql/0003_ratings.sql move the score in and out of the
author's aggregate row, so the aggregate is exact for any transition by anyone.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from moderation.db.pool import Connection, ConnectionOrPool
from moderation.queue.jobs import Wake, enqueue
from moderation.rules.base import Item

STATUSES = ("pending", "approved", "held", "rejected", "replaced", "deleted")

INSERT_RATING = f"""
WITH new_commenter AS (
    INSERT INTO commenters (site_id, commenter, name, email, verified)
    SELECT $1, $3, $7, $8, true WHERE $6
    ON CONFLICT (site_id, commenter) DO NOTHING
), rating AS (
    INSERT INTO ratings (site_id, author, rater, score, ip_hash, verified)
    VALUES ($1, $2, $3, $4, $5, $6)
    RETURNING site_id, rating_id, version, created_at
), job AS (
    {enqueue("rating", "rating", "rating_id")}
)
SELECT rating_id, created_at FROM rating"""

# The site's lock row, created on first use; every writer of rating statuses takes it first.
LOCK_SITES = """
WITH created AS (
    INSERT INTO site_rating_totals (site_id) SELECT DISTINCT unnest($1::text[])
    ON CONFLICT (site_id) DO NOTHING
)
SELECT site_id FROM site_rating_totals WHERE site_id = ANY($1::text[]) ORDER BY site_id
   FOR UPDATE"""

# The changes that take effect: the rating exists, is not deleted, and (for the rule workers)
# is still the pending version that was judged.
CHANGES = """
changes AS (
    SELECT r.site_id, r.rating_id, r.author, r.rater, r.status AS old_status, c.status
      FROM unnest($1::text[], $2::bigint[], $3::int[], $4::text[])
           AS c(site_id, rating_id, version, status)
      JOIN ratings r ON r.site_id = c.site_id AND r.rating_id = c.rating_id
     WHERE r.status <> 'deleted' AND r.status <> c.status
       AND (c.version IS NULL OR r.version = c.version)
       AND (NOT $5::boolean OR r.status = 'pending')
), winners AS (
    -- Of several approvals by one rater for one author in a batch, the newest is the one.
    SELECT DISTINCT ON (site_id, author, rater) site_id, author, rater, rating_id
      FROM changes WHERE status = 'approved'
     ORDER BY site_id, author, rater, rating_id DESC
)"""

# Step 1: an older approved rating of a rater whose newer rating is now approved is replaced.
RETIRE_REPLACED = f"""
WITH {CHANGES}
UPDATE ratings o SET status = 'replaced', decided_at = now()
  FROM winners w
 WHERE o.site_id = w.site_id AND o.author = w.author AND o.rater = w.rater
   AND o.status = 'approved' AND o.rating_id < w.rating_id"""

# Step 2: the new statuses. An approval that lost to a newer rating of the same rater (in this
# batch, or approved before) is stored as replaced: it never counts.
SET_STATUSES = f"""
WITH {CHANGES}
UPDATE ratings r
   SET status = CASE WHEN c.status = 'approved' AND (
                         c.rating_id <> (SELECT w.rating_id FROM winners w
                                          WHERE w.site_id = c.site_id AND w.author = c.author
                                            AND w.rater = c.rater)
                         OR EXISTS (SELECT FROM ratings n
                                     WHERE n.site_id = c.site_id AND n.author = c.author
                                       AND n.rater = c.rater AND n.status = 'approved'
                                       AND n.rating_id > c.rating_id))
                     THEN 'replaced' ELSE c.status END,
       decided_at = now()
  FROM changes c
 WHERE r.site_id = c.site_id AND r.rating_id = c.rating_id
RETURNING r.site_id, r.rating_id, r.version, c.old_status, r.status"""

ERASE_RATER = "DELETE FROM ratings WHERE site_id = $1 AND rater = $2 RETURNING rating_id"

# A rating read: the site (404 when unknown), the author's row and the site's totals, by key.
SELECT_AGGREGATE = """
SELECT a.count, a.sum, a.h1, a.h2, a.h3, a.h4, a.h5, t.count AS site_count, t.sum AS site_sum
  FROM sites s
  LEFT JOIN author_ratings a ON a.site_id = s.site_id AND a.author = $2
  LEFT JOIN site_rating_totals t ON t.site_id = s.site_id
 WHERE s.site_id = $1"""

SELECT_AGGREGATES = """
SELECT a.author, a.count, a.sum, a.h1, a.h2, a.h3, a.h4, a.h5
  FROM author_ratings a WHERE a.site_id = $1 AND a.author = ANY($2::text[])"""

SELECT_SITE_TOTALS = "SELECT count, sum FROM site_rating_totals WHERE site_id = $1"


@dataclass(frozen=True, slots=True)
class NewRating:
    site_id: str
    author: str
    rater: str
    score: int
    ip_hash: bytes | None
    verified: bool
    name: str | None = None
    email: str | None = None


@dataclass(frozen=True, slots=True)
class StatusChange:
    site_id: str
    rating_id: int
    status: str
    # The version that was judged; None for a moderator's decision on whatever is current.
    version: int | None = None


async def accept(conn: ConnectionOrPool, new: NewRating, wake: Wake) -> tuple[int, datetime]:
    """Stores the rating with its rule job and wakes the workers; returns (id, created_at)."""
    row = await conn.fetchrow(INSERT_RATING, new.site_id, new.author, new.rater, new.score,
                              new.ip_hash, new.verified, new.name or new.rater, new.email)
    assert row is not None  # an INSERT without a conflict clause returns its row
    wake()
    return row["rating_id"], row["created_at"]


async def apply_statuses(conn: Connection, changes: Sequence[StatusChange], *,
                         only_pending: bool = False) -> list[asyncpg.Record]:
    """Sets rating statuses inside the caller's transaction, keeping aggregates exact.

    Returns (site_id, rating_id, version, old_status, status) of each change that took effect;
    `status` is 'replaced' where an approval lost to a newer rating of the same rater.
    """
    if not changes:
        return []
    await conn.execute(LOCK_SITES, sorted({c.site_id for c in changes}))
    args = ([c.site_id for c in changes], [c.rating_id for c in changes],
            [c.version for c in changes], [c.status for c in changes], only_pending)
    await conn.execute(RETIRE_REPLACED, *args)
    return await conn.fetch(SET_STATUSES, *args)


async def set_status(conn: Connection, site_id: str, rating_id: int, status: str) -> asyncpg.Record | None:
    """A moderator's (or the rater's) change of one rating; None when nothing changed."""
    if status not in STATUSES or status == "pending":
        raise ValueError(f"cannot set a rating to {status!r}")
    async with conn.transaction():
        rows = await apply_statuses(conn, [StatusChange(site_id, rating_id, status)])
    return rows[0] if rows else None


async def erase_rater(conn: Connection, site_id: str, rater: str) -> int:
    """Privacy erasure: deletes every rating of one rater; the aggregates lose their approved ones."""
    async with conn.transaction():
        await conn.execute(LOCK_SITES, [site_id])
        return len(await conn.fetch(ERASE_RATER, site_id, rater))


# The rule workers' side (moderation.queue.kinds.rating).

async def apply_decisions(conn: Connection, decisions: list[tuple[Item, str]]) -> list[tuple[Item, str]]:
    """Applies the rules' decisions to still-pending versions; returns those that took effect,
    with the status stored (an approval that lost to a newer rating is stored as 'replaced')."""
    rows = await apply_statuses(
        conn, [StatusChange(i.site_id, i.item_id, status, i.version) for i, status in decisions],
        only_pending=True)
    stored = {(r["site_id"], r["rating_id"], r["version"]): r["status"] for r in rows}
    return [(item, stored[(item.site_id, item.item_id, item.version)]) for item, _ in decisions
            if (item.site_id, item.item_id, item.version) in stored]


# Held ratings' review priorities, (site, rating, priority) each. (A held comment gets its own in
# the statement that decides it: moderation.comments.store.APPLY_DECISIONS.)
SET_PRIORITIES = """
UPDATE ratings r SET priority = p.priority
  FROM unnest($1::text[], $2::bigint[], $3::real[]) AS p(site_id, rating_id, priority)
 WHERE r.site_id = p.site_id AND r.rating_id = p.rating_id"""


async def set_priorities(conn: Connection, priorities: list[tuple[str, int, float]]) -> None:
    if not priorities:
        return
    site_ids, rating_ids, values = zip(*priorities)
    await conn.execute(SET_PRIORITIES, list(site_ids), list(rating_ids), list(values))


# Reading aggregates.

DEFAULT_PRIOR_WEIGHT = 5.0
DEFAULT_PRIOR_MEAN = 3.0  # the middle of the scale, until a site has ratings of its own
Z95 = 1.959964


@dataclass(frozen=True, slots=True)
class Aggregate:
    count: int
    sum: int
    histogram: tuple[int, int, int, int, int]


EMPTY = Aggregate(0, 0, (0, 0, 0, 0, 0))


def aggregate_from_row(row) -> Aggregate:
    if row is None or row["count"] is None:
        return EMPTY
    return Aggregate(row["count"], row["sum"],
                     (row["h1"], row["h2"], row["h3"], row["h4"], row["h5"]))


def site_mean(site_count: int | None, site_sum: int | None) -> float:
    return (site_sum or 0) / site_count if site_count else DEFAULT_PRIOR_MEAN


def confidence(histogram: Iterable[int]) -> tuple[float, float]:
    """95 % interval of the mean score under a Dirichlet(1,1,1,1,1) prior (docs/ratings.md)."""
    pseudo = [n + 1 for n in histogram]
    total = sum(pseudo)
    mean = sum(k * n for k, n in zip(range(1, 6), pseudo)) / total
    second = sum(k * k * n for k, n in zip(range(1, 6), pseudo)) / total
    half = Z95 * math.sqrt(max(second - mean * mean, 0.0) / (total + 1))
    return max(1.0, mean - half), min(5.0, mean + half)


def summary(author: str, agg: Aggregate, prior_mean: float, prior_weight: float) -> dict:
    """The public answer for one author; plain dicts, no models, because this is the hot path."""
    h = agg.histogram
    histogram = {"1": h[0], "2": h[1], "3": h[2], "4": h[3], "5": h[4]}
    if agg.count == 0:
        return {"author": author, "count": 0, "average": None, "bayesian_average": None,
                "histogram": histogram, "confidence": None}
    low, high = confidence(h)
    bayesian = (prior_weight * prior_mean + agg.sum) / (prior_weight + agg.count)
    return {"author": author, "count": agg.count, "average": round(agg.sum / agg.count, 3),
            "bayesian_average": round(bayesian, 3), "histogram": histogram,
            "confidence": {"low": round(low, 3), "high": round(high, 3)}}


async def read_one(conn: ConnectionOrPool, site_id: str, author: str):
    """(aggregate, site mean), or None when the site does not exist. One statement, keys only."""
    row = await conn.fetchrow(SELECT_AGGREGATE, site_id, author)
    if row is None:
        return None
    return aggregate_from_row(row), site_mean(row["site_count"], row["site_sum"])


async def read_many(conn: ConnectionOrPool, site_id: str,
                    authors: list[str]) -> tuple[dict[str, Aggregate], float]:
    rows = await conn.fetch(SELECT_AGGREGATES, site_id, authors)
    totals = await conn.fetchrow(SELECT_SITE_TOTALS, site_id)
    found = {row["author"]: aggregate_from_row(row) for row in rows}
    mean = site_mean(totals["count"], totals["sum"]) if totals else DEFAULT_PRIOR_MEAN
    return {author: found.get(author, EMPTY) for author in authors}, mean
