"""The durable rule queue: claiming jobs with a lease, finishing them, retrying and burying them.

Every statement here is fenced by the job's attempt number: a worker whose lease ran out and whose
job was claimed again can no longer finish or fail it, so each decision is applied once.
"""

from __future__ import annotations

import random

import asyncpg

CHANNEL = "moderation_jobs"

# Claims up to $1 claimable jobs in one statement and sets their lease.
CLAIM = """
WITH next AS (
    SELECT site_id, job_id FROM jobs
     WHERE status IN ('queued', 'running') AND available_at <= now()
     ORDER BY available_at
     LIMIT $1
       FOR UPDATE SKIP LOCKED
)
UPDATE jobs j SET status = 'running', attempts = j.attempts + 1, claimed_by = $2,
                  available_at = now() + make_interval(secs => $3)
  FROM next
 WHERE j.site_id = next.site_id AND j.job_id = next.job_id
RETURNING j.site_id, j.job_id, j.kind, j.item_id, j.item_version, j.attempts"""

# Removes the jobs this worker still holds (same attempt); returns those it removed.
FINISH = """
DELETE FROM jobs j
 USING unnest($1::text[], $2::bigint[], $3::int[]) AS d(site_id, job_id, attempts)
 WHERE j.site_id = d.site_id AND j.job_id = d.job_id AND j.attempts = d.attempts
   AND j.status = 'running'
RETURNING j.site_id, j.job_id"""

# Puts a failed job back with a delay, or to 'dead' once it is out of attempts.
FAIL = """
UPDATE jobs SET status = CASE WHEN attempts >= $4 THEN 'dead' ELSE 'queued' END,
                available_at = now() + make_interval(secs => $5), last_error = $6
 WHERE site_id = $1 AND job_id = $2 AND attempts = $3 AND status = 'running'
RETURNING status"""

INSERT_VERDICTS = """
INSERT INTO verdicts (site_id, kind, item_id, item_version, rule, action, score, reason, details)
SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::int[], $5::text[], $6::text[],
                     $7::real[], $8::text[], $9::jsonb[])
ON CONFLICT DO NOTHING"""

INSERT_AUDIT = """
INSERT INTO audit (site_id, kind, item_id, actor, action, from_status, to_status, reason)
SELECT site_id, kind, item_id, $5, 'decide', $6, to_status, reason
  FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $7::text[])
       AS a(site_id, kind, item_id, to_status, reason)"""

LIST_DEAD = """
SELECT job_id, kind, item_id, attempts, last_error, created_at FROM jobs
 WHERE site_id = $1 AND status = 'dead' ORDER BY created_at LIMIT $2"""

RETRY_DEAD = """
UPDATE jobs SET status = 'queued', attempts = 0, available_at = now(), last_error = NULL
 WHERE site_id = $1 AND status = 'dead' AND ($2::bigint IS NULL OR job_id = $2)
RETURNING job_id"""

QUEUE_DEPTH = """
SELECT count(*) AS depth, coalesce(extract(epoch FROM now() - min(created_at)), 0) AS oldest_s
  FROM jobs WHERE status IN ('queued', 'running')"""


def backoff_s(attempt: int, base_s: float, max_s: float) -> float:
    """Exponential backoff with jitter, so a burst of failures does not retry in lockstep."""
    return min(max_s, base_s * 2 ** (attempt - 1)) * random.uniform(0.5, 1.5)


async def claim(conn, limit: int, worker: str, lease_s: float) -> list[asyncpg.Record]:
    return await conn.fetch(CLAIM, limit, worker, lease_s)


async def finish(conn, jobs: list[asyncpg.Record]) -> set[tuple[str, int]]:
    rows = await conn.fetch(FINISH, [j["site_id"] for j in jobs], [j["job_id"] for j in jobs],
                            [j["attempts"] for j in jobs])
    return {(r["site_id"], r["job_id"]) for r in rows}


async def fail(conn, job: asyncpg.Record, error: str, max_attempts: int, base_s: float,
               max_s: float) -> str | None:
    delay = backoff_s(job["attempts"], base_s, max_s)
    return await conn.fetchval(FAIL, job["site_id"], job["job_id"], job["attempts"],
                               max_attempts, delay, error[:2000])


async def notify(conn) -> None:
    await conn.execute(f"NOTIFY {CHANNEL}")


async def list_dead(conn, site_id: str, limit: int = 100) -> list[asyncpg.Record]:
    return await conn.fetch(LIST_DEAD, site_id, limit)


async def retry_dead(conn, site_id: str, job_id: int | None = None) -> int:
    return len(await conn.fetch(RETRY_DEAD, site_id, job_id))


async def depth(conn) -> asyncpg.Record:
    return await conn.fetchrow(QUEUE_DEPTH)
