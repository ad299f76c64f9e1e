"""Webhook endpoints and their deliveries: the SQL, and what admins and the senders do with it.

Events become deliveries inside the transaction that changes the item (the triggers of
sql/0010_webhooks.sql); this module registers endpoints, lists deliveries, resumes paused
endpoints, and claims and settles delivery jobs for moderation.webhooks.delivery.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, get_args

import asyncpg

from moderation.queue import jobs as queue
from moderation.webhooks.signing import new_secret

# What a comment or rating event is called; sql/0010_webhooks.sql raises each of them.
Event = Literal["comment.created", "comment.approved", "comment.held", "comment.rejected",
                "comment.reported", "rating.approved"]
EVENTS: tuple[str, ...] = get_args(Event)

# Wakes the senders (Sender.run) at commit: sent by sql/0015's queue_webhook_events whenever a
# delivery job is queued, and by RESUME.
CHANNEL = "moderation_webhooks"

WEBHOOK_COLUMNS = """webhook_id, url, events, failures_in_row, paused_at, created_at,
       CASE WHEN previous_until > now() THEN previous_until END AS previous_until"""

INSERT_WEBHOOK = f"""
INSERT INTO webhooks (site_id, url, events, secret) VALUES ($1, $2, $3, $4)
RETURNING {WEBHOOK_COLUMNS}"""

LIST_WEBHOOKS = f"SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE site_id = $1 ORDER BY webhook_id"

SELECT_WEBHOOK = f"SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE site_id = $1 AND webhook_id = $2"

# Jobs of its deliveries go with it (a job whose delivery is gone is dropped when claimed).
DELETE_WEBHOOK = "DELETE FROM webhooks WHERE site_id = $1 AND webhook_id = $2 RETURNING webhook_id"

# The new secret signs from now on; the old one too, until $4.
ROTATE_SECRET = f"""
UPDATE webhooks SET previous_secret = secret, secret = $3,
                    previous_until = now() + make_interval(secs => $4)
 WHERE site_id = $1 AND webhook_id = $2
RETURNING {WEBHOOK_COLUMNS}"""

# Unpauses the endpoint and queues what waited for it, oldest first.
RESUME = f"""
WITH resumed AS (
    UPDATE webhooks SET paused_at = NULL, failures_in_row = 0
     WHERE site_id = $1 AND webhook_id = $2
    RETURNING site_id, webhook_id, url, events, failures_in_row, paused_at, created_at,
              previous_until
), waiting AS (
    UPDATE webhook_deliveries d SET status = 'pending'
      FROM resumed r
     WHERE d.site_id = r.site_id AND d.webhook_id = r.webhook_id AND d.status = 'paused'
    RETURNING d.site_id, d.delivery_id
), jobs AS (
    INSERT INTO jobs (site_id, kind, item_id, item_version)
    SELECT site_id, 'webhook', delivery_id, 1 FROM waiting ORDER BY delivery_id
    RETURNING 1
)
SELECT {WEBHOOK_COLUMNS}, (SELECT count(*) FROM waiting) AS queued,
       (SELECT count(pg_notify('{CHANNEL}', '')) FROM (SELECT FROM jobs LIMIT 1) any_job) AS woken
  FROM resumed"""

LIST_DELIVERIES = """
SELECT delivery_id, event, payload->>'id' AS event_id, status, attempts, response_status,
       response_ms, last_error, created_at, attempted_at
  FROM webhook_deliveries
 WHERE site_id = $1 AND webhook_id = $2 AND ($3::bigint IS NULL OR delivery_id < $3)
 ORDER BY delivery_id DESC LIMIT $4"""

# Claims up to $1 due delivery jobs with a lease of $3 s, with what sending each needs: the exact
# body, the endpoint and its active secrets. Delivery and endpoint columns are NULL when the
# webhook was deleted since.
CLAIM = """
WITH due AS (
    SELECT site_id, job_id FROM jobs
     WHERE status IN ('queued', 'running') AND kind = 'webhook' AND available_at <= now()
     ORDER BY available_at LIMIT $1
       FOR UPDATE SKIP LOCKED
), claimed AS (
    UPDATE jobs j SET status = 'running', attempts = j.attempts + 1, claimed_by = $2,
                      available_at = now() + make_interval(secs => $3)
      FROM due
     WHERE j.site_id = due.site_id AND j.job_id = due.job_id
    RETURNING j.site_id, j.job_id, j.item_id, j.attempts
)
SELECT c.site_id, c.job_id, c.attempts, c.item_id AS delivery_id, d.event,
       d.payload::text AS body, w.webhook_id, w.url, w.paused_at IS NOT NULL AS paused,
       array_remove(ARRAY[w.secret, CASE WHEN w.previous_until > now()
                                         THEN w.previous_secret END], NULL) AS secrets
  FROM claimed c
  LEFT JOIN webhook_deliveries d ON d.site_id = c.site_id AND d.delivery_id = c.item_id
  LEFT JOIN webhooks w ON w.site_id = d.site_id AND w.webhook_id = d.webhook_id"""

# Seconds until the next delivery job is due (a retry's backoff or a lease ends; negative if one
# is due now), NULL when there is none: a sender idle until then misses nothing but new jobs.
NEXT_DUE = """
SELECT extract(epoch FROM min(available_at) - now())::float8 FROM jobs
 WHERE status IN ('queued', 'running') AND kind = 'webhook'"""

# A job with nothing (left) to send: its webhook was deleted, or is paused (its delivery waits).
SET_ASIDE = """
WITH done AS (
    DELETE FROM jobs WHERE site_id = $1 AND job_id = $2 AND attempts = $3 AND status = 'running'
    RETURNING site_id
)
UPDATE webhook_deliveries SET status = 'paused'
 WHERE site_id = $1 AND delivery_id = $4 AND EXISTS (SELECT FROM done)"""

# A 2xx: the job is done, the delivery delivered and the endpoint's failures forgotten. Fenced by
# the attempt: a sender whose lease ran out and whose job was claimed again records nothing.
DELIVERED = """
WITH done AS (
    DELETE FROM jobs WHERE site_id = $1 AND job_id = $2 AND attempts = $3 AND status = 'running'
    RETURNING site_id
), delivery AS (
    UPDATE webhook_deliveries
       SET status = 'delivered', attempts = $3, response_status = $5, response_ms = $6,
           last_error = NULL, attempted_at = now()
     WHERE site_id = $1 AND delivery_id = $4 AND EXISTS (SELECT FROM done)
    RETURNING site_id, webhook_id
), endpoint AS (
    UPDATE webhooks w SET failures_in_row = 0
      FROM delivery d WHERE w.site_id = d.site_id AND w.webhook_id = d.webhook_id
       AND w.failures_in_row <> 0
)
SELECT count(*) FROM delivery"""

# A failed attempt: the delivery says why; the endpoint counts one more failure in a row and is
# paused at $8 of them. The job itself is retried or buried by moderation.queue.jobs.FAIL.
FAILED = """
WITH delivery AS (
    UPDATE webhook_deliveries
       SET status = CASE WHEN $4 = 'dead' THEN 'dead' ELSE 'failing' END, attempts = $3,
           response_status = $5, response_ms = $6, last_error = $7, attempted_at = now()
     WHERE site_id = $1 AND delivery_id = $2
    RETURNING site_id, webhook_id
)
UPDATE webhooks w
   SET failures_in_row = w.failures_in_row + 1,
       paused_at = CASE WHEN w.paused_at IS NULL AND w.failures_in_row + 1 >= $8 THEN now()
                        ELSE w.paused_at END
  FROM delivery d WHERE w.site_id = d.site_id AND w.webhook_id = d.webhook_id
RETURNING w.paused_at IS NOT NULL AS paused"""


@dataclass(frozen=True, slots=True)
class Attempt:
    """How one attempt went: the status code (None without an answer), time taken, error."""

    status: int | None
    elapsed_ms: int
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


async def create(conn, site_id: str, url: str,
                 events: Sequence[str]) -> tuple[asyncpg.Record, str]:
    """The new endpoint and its secret (only ever shown now)."""
    secret = new_secret()
    return await conn.fetchrow(INSERT_WEBHOOK, site_id, url, list(events), secret), secret


async def list_webhooks(conn, site_id: str) -> list[asyncpg.Record]:
    return await conn.fetch(LIST_WEBHOOKS, site_id)


async def find(conn, site_id: str, webhook_id: int) -> asyncpg.Record | None:
    return await conn.fetchrow(SELECT_WEBHOOK, site_id, webhook_id)


async def delete(conn, site_id: str, webhook_id: int) -> bool:
    return await conn.fetchval(DELETE_WEBHOOK, site_id, webhook_id) is not None


async def rotate_secret(conn, site_id: str, webhook_id: int,
                        overlap_s: float) -> tuple[asyncpg.Record | None, str]:
    secret = new_secret()
    return await conn.fetchrow(ROTATE_SECRET, site_id, webhook_id, secret, overlap_s), secret


async def resume(conn, site_id: str, webhook_id: int) -> asyncpg.Record | None:
    return await conn.fetchrow(RESUME, site_id, webhook_id)


async def deliveries(conn, site_id: str, webhook_id: int, before: int | None,
                     limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(LIST_DELIVERIES, site_id, webhook_id, before, limit)


async def claim(conn, limit: int, sender: str, lease_s: float) -> list[asyncpg.Record]:
    return await conn.fetch(CLAIM, limit, sender, lease_s)


async def seconds_until_due(conn) -> float | None:
    return await conn.fetchval(NEXT_DUE)


async def set_aside(conn, job: asyncpg.Record) -> None:
    await conn.execute(SET_ASIDE, job["site_id"], job["job_id"], job["attempts"],
                       job["delivery_id"])


async def settle(conn, job: asyncpg.Record, attempt: Attempt, config) -> str:
    """Records an attempt in one transaction; returns the delivery's status afterwards
    ('delivered', 'failing' or 'dead'; 'lost' when the job was no longer this sender's)."""
    async with conn.transaction():
        if attempt.ok:
            marked = await conn.fetchval(DELIVERED, job["site_id"], job["job_id"],
                                         job["attempts"], job["delivery_id"], attempt.status,
                                         attempt.elapsed_ms)
            return "delivered" if marked else "lost"
        error = attempt.error or f"HTTP {attempt.status}"
        job_status = await queue.fail(conn, job, error, config.webhook_max_attempts,
                                      config.webhook_retry_base_s, config.webhook_retry_max_s)
        if job_status is None:
            return "lost"
        await conn.execute(FAILED, job["site_id"], job["delivery_id"], job["attempts"],
                           job_status, attempt.status, attempt.elapsed_ms, error[:2000],
                           config.webhook_pause_after)
        return "dead" if job_status == "dead" else "failing"


def webhook_view(row: asyncpg.Record) -> dict:
    """An endpoint as admins see it: never its secret."""
    return {"id": str(row["webhook_id"]), "url": row["url"], "events": list(row["events"]),
            "paused": row["paused_at"] is not None, "paused_at": _iso(row["paused_at"]),
            "failures_in_row": row["failures_in_row"], "created_at": _iso(row["created_at"]),
            "previous_secret_until": _iso(row["previous_until"])}


def delivery_view(row: asyncpg.Record) -> dict:
    return {"id": str(row["delivery_id"]), "event": row["event"], "event_id": row["event_id"],
            "status": row["status"], "attempts": row["attempts"],
            "response_status": row["response_status"], "response_ms": row["response_ms"],
            "error": row["last_error"], "created_at": _iso(row["created_at"]),
            "attempted_at": _iso(row["attempted_at"])}


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
