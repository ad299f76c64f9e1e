"""Backpressure: once a site's oldest claimable rule job has waited longer than QUEUE_MAX_AGE_S,
that site's new public writes that would queue a job (comments, edits, ratings) get 503 with
Retry-After, before anything is stored, so an overload turns into refusals a client can retry
instead of a queue that grows without limit. Reads are never refused.

Each API process measures the ages every QUEUE_AGE_CHECK_S in the background (one loose index
scan of jobs_claimable: one probe per site with jobs), so a request only looks up its site in a
small set.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time

import asyncpg
from aiohttp import web

from moderation.errors import ApiError
from moderation.queue.kinds import JUDGED
from moderation.web.keys import CONFIG, POOL

log = logging.getLogger(__name__)

# Per site with claimable jobs, how long its oldest claimable job has waited: available_at is a
# new job's creation, a retried job's retry time, a claimed job's lease end (so a job being
# worked on, or waiting for its retry, is not late). Walks jobs_claimable one site at a time,
# taking each site's first entry, as the claim finds the sites.
OLDEST_CLAIMABLE = """
WITH RECURSIVE waiting (site_id, available_at) AS (
    (SELECT site_id, available_at FROM jobs
      WHERE status IN ('queued', 'running') AND kind IN ({judged})
      ORDER BY site_id, available_at LIMIT 1)
    UNION ALL
    SELECT next.site_id, next.available_at
      FROM waiting w CROSS JOIN LATERAL (
           SELECT j.site_id, j.available_at FROM jobs j
            WHERE j.status IN ('queued', 'running') AND j.kind IN ({judged})
              AND j.site_id > w.site_id
            ORDER BY j.site_id, j.available_at LIMIT 1) next
)
SELECT site_id, extract(epoch FROM now() - available_at)::float8 AS waited_s
  FROM waiting WHERE available_at < now()""".format(
    judged=", ".join(f"'{kind.name}'" for kind in JUDGED))  # the rules' jobs, not e-mails or webhooks

LONGEST_RETRY_AFTER_S = 60


class QueueAges:
    """The sites whose oldest claimable job is older than `max_age_s`, as last measured."""

    def __init__(self, pool: asyncpg.Pool, max_age_s: float, check_s: float,
                 timeout_s: float) -> None:
        self.pool = pool
        self.max_age_s = max_age_s
        self.check_s = check_s
        self.timeout_s = timeout_s
        self.late: dict[str, float] = {}  # site -> seconds its oldest claimable job had waited
        self.measured_at = 0.0  # time.monotonic() of the last good measurement
        # A measurement older than this says nothing: no write is refused on it.
        self.stale_after_s = max(5 * check_s, 2 * timeout_s)

    async def measure(self) -> None:
        async with asyncio.timeout(self.timeout_s):
            rows = await self.pool.fetch(OLDEST_CLAIMABLE)
        self.late = {r["site_id"]: r["waited_s"] for r in rows if r["waited_s"] > self.max_age_s}
        self.measured_at = time.monotonic()

    async def watch(self) -> None:
        """Measures every check_s until cancelled; a failed measurement keeps the last one until it
        is stale (with the database down the writes fail on their own)."""
        while True:
            try:
                await self.measure()
            except Exception as exc:  # never let the watch die: the bound would stop applying
                log.warning("could not measure the queue's age (%s: %s)", type(exc).__name__, exc)
            await asyncio.sleep(self.check_s)

    def refusal(self, site_id: str | None) -> ApiError | None:
        """The 503 for a write to this site while its queue is too far behind, else None."""
        waited = self.late.get(site_id) if site_id is not None else None
        if waited is None or time.monotonic() - self.measured_at > self.stale_after_s:
            return None
        # The time by which the queue is past its bound is a fair guess of how long it needs.
        retry_s = min(LONGEST_RETRY_AFTER_S, max(1, math.ceil(waited - self.max_age_s)))
        return ApiError(
            503, "queue_backlog",
            f"new comments and ratings wait longer than {self.max_age_s:g} s to be checked right "
            f"now; nothing was stored: send it again in {retry_s} s",
            details=[{"oldest_job_s": round(waited, 1), "max_age_s": self.max_age_s}],
            headers={"Retry-After": str(retry_s)})


QUEUE_AGES = web.AppKey("queue_ages", QueueAges)


async def backpressure_ctx(app: web.Application):
    """Measures the queue's ages in the background while `serve` runs (QUEUE_MAX_AGE_S > 0)."""
    config = app[CONFIG]
    if config.queue_max_age_s <= 0:
        yield
        return
    ages = app[QUEUE_AGES] = QueueAges(app[POOL], config.queue_max_age_s,
                                       config.queue_age_check_s, config.db_timeout_s)
    task = asyncio.create_task(ages.watch(), name="queue-ages")
    yield
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
