"""Public reads on a streaming replica (DATABASE_REPLICA_URL), while it keeps up.

A background check measures the replica's replay lag every REPLICA_CHECK_S; while the replica
answers and its lag is within REPLICA_MAX_LAG_S, public reads (thread pages, replies, counts,
ratings, a comment read without its edit token) go to it. A lagging or unreachable replica,
or a read that fails on it, sends reads to the primary until a check finds it well again.
Writes, a reader's own comment (read with its edit token) and the SSE catch-up stay on the
primary: they must see what was just committed.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Awaitable, Callable
from typing import TypeVar

import asyncpg
from prometheus_client import CollectorRegistry, Counter, Gauge

from moderation.errors import DATABASE_DOWN

log = logging.getLogger(__name__)

T = TypeVar("T")

# Seconds the replica's replay is behind: 0 when it has replayed all it received (an idle
# primary sends nothing, so the age of the last replayed commit would grow without any lag).
LAG = """
SELECT CASE WHEN NOT pg_is_in_recovery()
              OR pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn() THEN 0
            ELSE greatest(0, extract(epoch FROM clock_timestamp()
                                                - pg_last_xact_replay_timestamp()))
       END::float8"""


class PublicReads:
    """Where public reads go: the replica while it is healthy, else the primary."""

    def __init__(self, primary: asyncpg.Pool, replica: asyncpg.Pool | None, *,
                 max_lag_s: float, check_s: float, registry: CollectorRegistry) -> None:
        self.primary = primary
        self.replica = replica
        self.max_lag_s = max_lag_s
        self.check_s = check_s
        self.healthy = False
        self.lag_s = math.nan
        self.reads = Counter("moderation_public_reads", "public reads, by the database that "
                             "answered (replica, primary)", ["database"], registry=registry)
        # Each database's child of `reads`, made at its first read: labels() takes a lock and a
        # lookup, and runs for every public read.
        self._reads_by: dict[str, Counter] = {}
        if replica is not None:
            Gauge("moderation_replica_lag_seconds", "replay lag of the read replica at its last "
                  "check (NaN: unreachable)", registry=registry).set_function(lambda: self.lag_s)
            Gauge("moderation_replica_in_use", "1 while public reads go to the replica, 0 while "
                  "they fall back to the primary", registry=registry).set_function(
                      lambda: float(self.healthy))

    async def run(self, read: Callable[..., Awaitable[T]], *args) -> T:
        """`read(pool, *args)` on the replica when it is healthy, else (or when it fails there)
        on the primary."""
        if self.replica is not None and self.healthy:
            try:
                result = await read(self.replica, *args)
            except DATABASE_DOWN as exc:
                self.fall_back(f"a read failed on it ({exc.__class__.__name__}: {exc})")
            except asyncpg.SerializationError:
                pass  # cancelled by a conflict with replay: that read alone goes to the primary
            else:
                self._count("replica")
                return result
        result = await read(self.primary, *args)
        self._count("primary")
        return result

    def _count(self, database: str) -> None:
        counter = self._reads_by.get(database)
        if counter is None:
            counter = self._reads_by[database] = self.reads.labels(database)
        counter.inc()

    def fall_back(self, why: str) -> None:
        if self.healthy:
            log.warning("read replica not used: %s; public reads go to the primary", why)
        self.healthy = False

    async def check(self) -> None:
        """Measures the replica's lag once and decides whether reads may go to it."""
        assert self.replica is not None
        try:
            async with asyncio.timeout(max(self.check_s, 1.0)):
                lag = await self.replica.fetchval(LAG)
        except DATABASE_DOWN as exc:
            self.lag_s = math.nan
            self.fall_back(f"unreachable ({exc.__class__.__name__}: {exc})")
            return
        self.lag_s = lag
        if lag > self.max_lag_s:
            self.fall_back(f"{lag:.1f} s behind (REPLICA_MAX_LAG_S is {self.max_lag_s:g})")
        elif not self.healthy:
            log.info("read replica in use (%.1f s behind)", lag)
            self.healthy = True

    async def watch(self) -> None:
        """Checks every check_s until cancelled."""
        while True:
            try:
                await self.check()
            except Exception:  # never let the check die: reads would stay where they are
                log.exception("read replica check failed")
                self.fall_back("its check failed")
            await asyncio.sleep(self.check_s)
