"""Storing a vote and keeping the comment's counts exact.

A vote takes the comment's row lock first, so concurrent votes on one comment queue up and each
one's change of the counts is applied to the counts the previous one left: the counts on the
comment row stay exact, and a read costs nothing but the row (O(1), like rating aggregates).

The vote-flood rule: a new vote on a comment from an address range (an IPv4 /24, an IPv6 /48)
that has already cast `max_votes` votes on it within `window_s` is stored but not counted; a
burst from one network cannot push a comment up or down. Changing or withdrawing a vote keeps
the standing it had.
"""

from __future__ import annotations

from dataclasses import dataclass

from moderation.errors import not_found
from moderation.sites.settings import VoteFlood
from moderation.threads import store as threads

LOCK_TARGET = """
SELECT t.closed, t.created_at FROM comments c
  LEFT JOIN threads t ON t.site_id = c.site_id AND t.thread = c.thread
 WHERE c.site_id = $1 AND c.comment_id = $2 AND c.status = 'approved'
   FOR UPDATE OF c"""

PREVIOUS = "SELECT value, counted FROM votes WHERE site_id = $1 AND comment_id = $2 AND voter = $3"

RECENT_FROM_RANGE = """
SELECT count(*) FROM votes
 WHERE site_id = $1 AND comment_id = $2 AND range_hash = $3
   AND created_at > now() - make_interval(secs => $4)"""

STORE = """
INSERT INTO votes (site_id, comment_id, voter, value, counted, range_hash)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (site_id, comment_id, voter) DO UPDATE SET value = EXCLUDED.value"""

WITHDRAW = "DELETE FROM votes WHERE site_id = $1 AND comment_id = $2 AND voter = $3"

COUNT = """
UPDATE comments SET votes_up = votes_up + $3, votes_down = votes_down + $4,
                    best = wilson_lower_bound(votes_up + $3, votes_down + $4)
 WHERE site_id = $1 AND comment_id = $2
RETURNING votes_up, votes_down"""

SELECT_COUNTS = "SELECT votes_up, votes_down FROM comments WHERE site_id = $1 AND comment_id = $2"


@dataclass(frozen=True, slots=True)
class Counts:
    up: int
    down: int

    def as_json(self) -> dict:
        return {"up": self.up, "down": self.down}


def contribution(value: int, counted: bool) -> tuple[int, int]:
    """What one vote adds to (up, down)."""
    if not counted:
        return 0, 0
    return (1, 0) if value == 1 else (0, 1) if value == -1 else (0, 0)


async def vote(pool, site_id: str, comment_id: int, voter: str, value: int,
               range_hash: bytes | None, flood: VoteFlood, closed_before) -> Counts:
    """Stores (value 1 or -1) or withdraws (0) the voter's vote; returns the comment's counts.
    404 unless the comment is published; 409 when its thread is closed."""
    async with pool.acquire() as conn, conn.transaction():
        target = await conn.fetchrow(LOCK_TARGET, site_id, comment_id)
        if target is None:
            raise not_found("comment")
        if threads.is_closed(target["closed"], target["created_at"], closed_before):
            raise threads.thread_closed()
        previous = await conn.fetchrow(PREVIOUS, site_id, comment_id, voter)
        old_value, counted = (previous["value"], previous["counted"]) if previous else (0, True)
        if value == 0:
            await conn.execute(WITHDRAW, site_id, comment_id, voter)
        else:
            if previous is None:
                counted = not await flooding(conn, site_id, comment_id, range_hash, flood)
            await conn.execute(STORE, site_id, comment_id, voter, value, counted, range_hash)
        old_up, old_down = contribution(old_value, counted)
        new_up, new_down = contribution(value, counted)
        if (old_up, old_down) == (new_up, new_down):
            row = await conn.fetchrow(SELECT_COUNTS, site_id, comment_id)
        else:
            row = await conn.fetchrow(COUNT, site_id, comment_id, new_up - old_up,
                                      new_down - old_down)
    return Counts(row["votes_up"], row["votes_down"])


async def flooding(conn, site_id: str, comment_id: int, range_hash: bytes | None,
                   flood: VoteFlood) -> bool:
    if range_hash is None or not flood.enabled:
        return False
    recent = await conn.fetchval(RECENT_FROM_RANGE, site_id, comment_id, range_hash,
                                 flood.window_s)
    return recent >= flood.max_votes
