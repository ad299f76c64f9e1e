"""The durable rule queue: claiming jobs with a lease, finishing them, retrying and burying them.

Every statement here is fenced by the job's attempt number: a worker whose lease ran out and whose
job was claimed again can no longer finish or fail it, so each decision is applied once.
"""

from __future__ import annotations

import random
from collections.abc import Callable

import asyncpg

from moderation.db.pool import Connection, ConnectionOrPool
from moderation.judging import site_views
from moderation.rules.base import Item

CHANNEL = "moderation_jobs"

# Wakes the rule workers after jobs were committed (the process's Notifier.poke): every function
# that enqueues takes one and calls it, so no caller can forget.
Wake = Callable[[], None]


def enqueue(kind: str, source: str, id_column: str) -> str:
    """The one INSERT of rule jobs: a job for each (site_id, id, version) row of `source`, a CTE
    of the statement; the function running the statement calls its Wake after the commit."""
    return (f"INSERT INTO jobs (site_id, kind, item_id, item_version)\n"
            f"    SELECT site_id, '{kind}', {id_column}, version FROM {source}")


# Claims up to $1 claimable jobs, taking turns between sites, and sets their lease; with each
# job, in the same statement, what judging it needs first: its item while that is still the
# pending version claimed (the item columns are NULL otherwise), and the versions of its site's
# settings and word lists (moderation.judging.site_views: read with every batch, so a change
# reaches every worker at once).
# Fairness: one site's flood must not delay another site's decisions by more than a batch. The
# sites with queued jobs are found by a loose index scan of jobs_claimable (one probe per site,
# however long a backlog is), each site's oldest claimable jobs are read (at most $1 each), and
# the batch takes them in turns: every site's first job, then every site's second, and so on,
# oldest first within a turn. Each site's jobs are locked as they are read (SKIP LOCKED, so
# workers claiming together take different jobs); the locks of those not taken end with the
# statement. That locks up to $1 jobs of each site with that many waiting,
# which is $1 unless several sites are flooded at once.
# Every row is found directly whatever the statistics say (a fresh table has none): the locked
# jobs by their ctid, the items by primary-key probes, with status compared by IS NOT DISTINCT
# FROM (the same for a NOT NULL column): an indexable `status = 'pending'` lets the planner walk a
# review index through every pending row (docs/decisions/0007). The ctid returned is the claimed
# row version's, for FINISH. Webhook deliveries (kind 'webhook') are sent by moderation.webhooks,
# never claimed here (jobs_claimable leaves them out too).
CLAIM_TEMPLATE = f"""
WITH RECURSIVE waiting (site_id) AS (
    -- Ordered as jobs_claimable is, so each probe is one step of that index.
    (SELECT site_id FROM jobs WHERE status IN ('queued', 'running') AND kind <> 'webhook'
      ORDER BY site_id, available_at LIMIT 1)
    UNION ALL
    SELECT (SELECT j.site_id FROM jobs j
             WHERE j.status IN ('queued', 'running') AND j.kind <> 'webhook'
               AND j.site_id > w.site_id
             ORDER BY j.site_id, j.available_at LIMIT 1)
      FROM waiting w WHERE w.site_id IS NOT NULL
), candidates AS MATERIALIZED (
    SELECT c.site_id, c.job_id, c.ctid, c.available_at,
           row_number() OVER (PARTITION BY c.site_id ORDER BY c.available_at, c.job_id) AS turn
      FROM waiting w CROSS JOIN LATERAL (
           SELECT j.site_id, j.job_id, j.ctid, j.available_at FROM jobs j
            WHERE j.site_id = w.site_id AND j.status IN ('queued', 'running')
              AND j.kind <> 'webhook' AND j.available_at <= now()
            ORDER BY j.available_at LIMIT $1
              FOR UPDATE SKIP LOCKED) c
), next AS (
    SELECT site_id, job_id, ctid FROM candidates ORDER BY turn, available_at LIMIT $1
), claimed AS (
    UPDATE jobs j SET status = 'running', attempts = j.attempts + 1, claimed_by = $2,
                      available_at = now() + make_interval(secs => $3)
      FROM next
     WHERE j.ctid = ANY (ARRAY(SELECT ctid FROM next))
       AND j.site_id = next.site_id AND j.job_id = next.job_id
    RETURNING j.site_id, j.job_id, j.kind, j.item_id, j.item_version, j.attempts, j.ctid
), site_versions AS MATERIALIZED (
    SELECT s.site_id, {site_views.VERSIONS}
     WHERE s.site_id IN (SELECT site_id FROM claimed)
)
SELECT j.site_id, j.job_id, j.kind, j.item_id, j.item_version, j.attempts, j.ctid,
       i.created_at, i.person, i.ip_hash, i.verified, i.thread, i.parent_id, i.body, i.signals,
       i.text_hash, i.author, i.score, v.settings_version, v.banned_version, v.suspect_version
  FROM claimed j
  LEFT JOIN LATERAL ({{item_reads}}
  ) i ON true
  LEFT JOIN site_versions v ON v.site_id = j.site_id"""

# One kind's part of the claim's item read (moderation.queue.kinds.CLAIM joins them).
ITEM_READ = """
      SELECT {kind.claim_columns}
        FROM {kind.table} x
       WHERE j.kind = '{kind.name}' AND x.site_id = j.site_id AND x.{kind.id_column} = j.item_id
         AND x.version = j.item_version AND x.status IS NOT DISTINCT FROM 'pending'"""


# Removes the jobs this worker still holds (same attempt); returns those it removed, with their
# items (moderation.comments.store.APPLY_DECISIONS applies decisions to these only). The rows are
# found by the ctid of the version the claim wrote ($4), a TID scan of the batch alone (the
# planner would rather scan the whole queue than probe its key 100 times). A job updated since
# was claimed again or failed: its newer version fails the ctid check and stays. Key and attempt
# are still compared (by position in the arrays), for a slot that vacuum freed and a new job took;
# status by IS NOT DISTINCT FROM, or the planner walks jobs_claimable instead.
FINISH = """
DELETE FROM jobs j
 WHERE j.ctid = ANY ($4::tid[])
   AND j.site_id = ($1::text[])[array_position($2::bigint[], j.job_id)]
   AND j.attempts = ($3::int[])[array_position($2::bigint[], j.job_id)]
   AND j.status IS NOT DISTINCT FROM 'running'
RETURNING j.site_id, j.job_id, j.item_id, j.item_version"""

# Puts a failed job back with a delay, or to 'dead' once it is out of attempts.
FAIL = """
UPDATE jobs SET status = CASE WHEN attempts >= $4 THEN 'dead' ELSE 'queued' END,
                available_at = now() + make_interval(secs => $5), last_error = $6
 WHERE site_id = $1 AND job_id = $2 AND attempts = $3 AND status = 'running'
RETURNING status"""

LIST_DEAD = """
SELECT job_id, kind, item_id, attempts, last_error, created_at FROM jobs
 WHERE site_id = $1 AND status = 'dead' ORDER BY created_at LIMIT $2"""

RETRY_DEAD = """
UPDATE jobs SET status = 'queued', attempts = 0, available_at = now(), last_error = NULL
 WHERE site_id = $1 AND status = 'dead' AND ($2::bigint IS NULL OR job_id = $2)
RETURNING job_id"""

QUEUE_DEPTH = """
SELECT count(*) AS depth, coalesce(extract(epoch FROM now() - min(created_at)), 0) AS oldest_s
  FROM jobs WHERE status IN ('queued', 'running') AND kind <> 'webhook'"""


def backoff_s(attempt: int, base_s: float, max_s: float) -> float:
    """Exponential backoff with jitter, so a burst of failures does not retry in lockstep; the
    jitter comes before the cap, so `max_s` is the longest wait."""
    return min(max_s, base_s * 2 ** (attempt - 1) * random.uniform(0.5, 1.5))


async def claim(conn: Connection, statement: str, limit: int, worker: str,
                lease_s: float) -> list[asyncpg.Record]:
    """Claimed jobs, each with its pending item's columns and its site's versions (CLAIM)."""
    return await conn.fetch(statement, limit, worker, lease_s)


def item_of(job: asyncpg.Record) -> Item | None:
    """The item a claimed job stands for, as the rules see it; None when it is no longer pending."""
    if job["created_at"] is None:
        return None
    return Item(kind=job["kind"], site_id=job["site_id"], item_id=job["item_id"],
                version=job["item_version"], created_at=job["created_at"],
                commenter=job["person"], ip_hash=job["ip_hash"], thread=job["thread"],
                parent_id=job["parent_id"], body=job["body"], author=job["author"],
                score=job["score"], verified=job["verified"], signals=job["signals"] or {},
                text_hash=job["text_hash"])


def finish_arguments(jobs: list[asyncpg.Record]) -> tuple[list, list, list, list]:
    """FINISH's $1..$4 for claimed jobs."""
    return ([j["site_id"] for j in jobs], [j["job_id"] for j in jobs],
            [j["attempts"] for j in jobs], [j["ctid"] for j in jobs])


async def finish(conn: Connection, jobs: list[asyncpg.Record]) -> set[tuple[str, int]]:
    rows = await conn.fetch(FINISH, *finish_arguments(jobs))
    return {(r["site_id"], r["job_id"]) for r in rows}


async def fail(conn: Connection, job: asyncpg.Record, error: str, max_attempts: int, base_s: float,
               max_s: float) -> str | None:
    delay = backoff_s(job["attempts"], base_s, max_s)
    return await conn.fetchval(FAIL, job["site_id"], job["job_id"], job["attempts"],
                               max_attempts, delay, error[:2000])


async def notify(conn: Connection, sender: str) -> None:
    """Wakes the workers listening anywhere; `sender` names the notifying process."""
    if "'" in sender or "\\" in sender:  # never in the names Notifier makes: no quoting to get wrong
        await conn.execute("SELECT pg_notify($1, $2)", CHANNEL, sender)
        return
    # A simple query: nothing to prepare, bind and describe for a statement sent 100 times a second.
    await conn.execute(f"NOTIFY {CHANNEL}, '{sender}'")


async def list_dead(conn: ConnectionOrPool, site_id: str, limit: int = 100) -> list[asyncpg.Record]:
    return await conn.fetch(LIST_DEAD, site_id, limit)


async def retry_dead(conn: ConnectionOrPool, site_id: str, job_id: int | None, wake: Wake) -> int:
    count = len(await conn.fetch(RETRY_DEAD, site_id, job_id))
    wake()
    return count


async def depth(conn: ConnectionOrPool) -> asyncpg.Record:
    row = await conn.fetchrow(QUEUE_DEPTH)
    assert row is not None  # an aggregate: always one row
    return row
