"""Periodic cleanup inside `serve` and `worker`: privacy that expires, and counters that end.

- Address hashes (comments.ip_hash, ratings.ip_hash) are kept ADDRESS_RETENTION_DAYS (30 by
  default): long enough for the flood, duplicate and rating rules (a day at most) and for bans,
  then cleared. An address ban keeps its own hash for the ban's duration.
- Rate-limit windows (moderation.web.rate_limits) are deleted a day after they start (the
  longest window), and address bans once they have ended.
- Webhook deliveries that were delivered or are dead are deleted after the same retention.

Every process runs it each CLEANUP_INTERVAL_S; an advisory lock lets one at a time do the
work. Each site is cleaned by statements of at most BATCH rows, so no statement holds
many row locks for long. Time comes from the injected clock, so tests can move it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

import asyncpg

from moderation.errors import DATABASE_DOWN
from moderation.mail import store as mail

log = logging.getLogger(__name__)

CLEANUP_LOCK = 0x636C6E75  # any fixed number: one process cleans at a time
BATCH = 5000
LONGEST_RATE_WINDOW = timedelta(days=1)

SITES = "SELECT site_id FROM sites ORDER BY site_id"

# Found by comments_address_expiry / ratings_address_expiry (sql/0014: by age, then site), which
# hold only rows that still carry a hash.
FORGET_COMMENT_ADDRESSES = """
UPDATE comments SET ip_hash = NULL
 WHERE site_id = $1 AND comment_id IN (
       SELECT comment_id FROM comments
        WHERE site_id = $1 AND ip_hash IS NOT NULL AND created_at < $2 LIMIT $3)"""
FORGET_RATING_ADDRESSES = """
UPDATE ratings SET ip_hash = NULL
 WHERE site_id = $1 AND rating_id IN (
       SELECT rating_id FROM ratings
        WHERE site_id = $1 AND ip_hash IS NOT NULL AND created_at < $2 LIMIT $3)"""
END_RATE_WINDOWS = "DELETE FROM rate_counts WHERE site_id = $1 AND window_start < $2"
END_ADDRESS_BANS = "DELETE FROM address_bans WHERE site_id = $1 AND banned_until < $2"
FORGET_WEBHOOK_DELIVERIES = """
DELETE FROM webhook_deliveries
 WHERE site_id = $1 AND delivery_id IN (
       SELECT delivery_id FROM webhook_deliveries
        WHERE site_id = $1 AND status IN ('delivered', 'dead') AND created_at < $2 LIMIT $3)"""

# Live threads resume from a day of events (moderation.live); the vote-flood rule looks back at
# most a week (its longest window), so votes' address ranges go with the other address hashes.
THREAD_EVENTS_KEPT = timedelta(days=1)
END_THREAD_EVENTS = "DELETE FROM thread_events WHERE site_id = $1 AND created_at < $2"
FORGET_VOTE_RANGES = """
UPDATE votes SET range_hash = NULL
 WHERE site_id = $1 AND range_hash IS NOT NULL AND created_at < $2"""


def affected(status: str) -> int:
    return int(status.rsplit(" ", 1)[-1])


class Cleanup:
    def __init__(self, pool: asyncpg.Pool, retention_days: int,
                 clock: Callable[[], datetime]) -> None:
        self.pool = pool
        self.retention = timedelta(days=retention_days)
        self.clock = clock

    async def run_once(self) -> dict[str, int] | None:
        """One round over every site; what it cleared, or None when another process is at it."""
        now = self.clock()
        done = {"comment_addresses": 0, "rating_addresses": 0, "rate_windows": 0,
                "address_bans": 0, "webhook_deliveries": 0, "thread_events": 0, "vote_ranges": 0,
                "digests": 0}
        async with self.pool.acquire() as conn:
            if not await conn.fetchval("SELECT pg_try_advisory_lock($1)", CLEANUP_LOCK):
                return None
            try:
                for row in await conn.fetch(SITES):
                    site_id = row["site_id"]
                    for name, statement in (("comment_addresses", FORGET_COMMENT_ADDRESSES),
                                            ("rating_addresses", FORGET_RATING_ADDRESSES),
                                            ("webhook_deliveries", FORGET_WEBHOOK_DELIVERIES)):
                        while (n := affected(await conn.execute(
                                statement, site_id, now - self.retention, BATCH))):
                            done[name] += n
                    done["rate_windows"] += affected(await conn.execute(
                        END_RATE_WINDOWS, site_id, now - LONGEST_RATE_WINDOW))
                    done["address_bans"] += affected(await conn.execute(
                        END_ADDRESS_BANS, site_id, now))
                    done["thread_events"] += affected(await conn.execute(
                        END_THREAD_EVENTS, site_id, now - THREAD_EVENTS_KEPT))
                    done["vote_ranges"] += affected(await conn.execute(
                        FORGET_VOTE_RANGES, site_id, now - self.retention))
                # Moderators' digests that are due go out with the same round (moderation.mail).
                done["digests"] = await mail.queue_digests(conn)
            finally:
                await conn.execute("SELECT pg_advisory_unlock($1)", CLEANUP_LOCK)
        if any(done.values()):
            log.info("cleanup: %s", done)
        return done

    async def run(self, interval_s: float) -> None:
        """Cleans every interval_s (the first time one interval after start: a process that
        restarts often does not add a round each time), until cancelled; a failure waits for
        the next round."""
        while True:
            await asyncio.sleep(interval_s)
            try:
                await self.run_once()
            except DATABASE_DOWN as exc:
                log.warning("cleanup: database unavailable (%s); next round later", exc)
            except Exception:
                log.exception("cleanup failed; next round later")
