"""Subscriptions, confirmation and unsubscribing, the outbox, and delivering its emails.

Delivery is the queue's 'email' kind (moderation.queue.kinds.DELIVER): each job stands for one
outbox row; the message is composed and sent, then the job is finished and the row marked sent,
one job at a time, so one failing address never sends another email twice. A failed send goes
back to the queue with backoff and is `dead` after MAX_ATTEMPTS. Whether an address may get a
reply email is checked again when it is sent: an unconfirmed or unsubscribed address never does.
Sending is at least once: a crash between the SMTP server's "OK" and the commit sends it again.
"""

from __future__ import annotations

import logging
from datetime import datetime

import asyncpg
from yarl import URL

from moderation.comments import store as comments
from moderation.comments.store import NewComment
from moderation.config import Config
from moderation.errors import DATABASE_DOWN
from moderation.identity.signing import Signer
from moderation.mail import messages
from moderation.mail.smtp import SmtpServer
from moderation.queue import jobs as queue
from moderation.web import rate_limits

log = logging.getLogger(__name__)

# A confirmation is sent again at most once a day, however often the box is ticked.
RESEND_CONFIRMATION = "1 day"

# "Email me replies" on a new comment: the subscription, the address (a new or unsubscribed one
# needs confirming again), and the confirmation email when one is due.
SUBSCRIBE = f"""
WITH address AS (
    INSERT INTO email_addresses AS a (site_id, email, status, confirm_sent_at)
    VALUES ($1, $3, 'unconfirmed', now())
    ON CONFLICT (site_id, email) DO UPDATE
       SET status = CASE WHEN a.status = 'unsubscribed' THEN 'unconfirmed' ELSE a.status END,
           changed_at = CASE WHEN a.status = 'unsubscribed' THEN now() ELSE a.changed_at END,
           confirm_sent_at = CASE
               WHEN a.status <> 'confirmed' AND (a.confirm_sent_at IS NULL
                    OR a.confirm_sent_at < now() - interval '{RESEND_CONFIRMATION}') THEN now()
               ELSE a.confirm_sent_at END
    RETURNING a.site_id, a.email, a.status <> 'confirmed' AND a.confirm_sent_at = now() AS due
), subscribed AS (
    INSERT INTO reply_subscriptions (site_id, comment_id, email) VALUES ($1, $2, $3)
    ON CONFLICT (site_id, comment_id) DO UPDATE SET email = EXCLUDED.email
), mail AS (
    INSERT INTO outbox (site_id, kind, recipient)
    SELECT site_id, 'confirm', email FROM address WHERE due
    RETURNING site_id, outbox_id
)
INSERT INTO jobs (site_id, kind, item_id, item_version)
SELECT site_id, 'email', outbox_id, 1 FROM mail"""

CONFIRM = """
UPDATE email_addresses SET status = 'confirmed', changed_at = now()
 WHERE site_id = $1 AND email = $2 AND status <> 'unsubscribed'
RETURNING status"""

UNSUBSCRIBE = """
WITH address AS (
    UPDATE email_addresses SET status = 'unsubscribed', changed_at = now()
     WHERE site_id = $1 AND email = $2
    RETURNING site_id, email
)
DELETE FROM reply_subscriptions s USING address a
 WHERE s.site_id = a.site_id AND s.email = a.email"""

# What an outbox row's email needs, read when it is sent.
SELECT_MAIL = """
SELECT o.kind, o.recipient, o.sent_at, s.name AS site_name, a.status AS address_status,
       s.settings -> 'allowed_origins' AS allowed_origins,
       r.status AS reply_status, r.author_name AS replier, r.body AS reply_body, r.thread,
       r.comment_id AS reply_id, p.body AS parent_body, t.title AS thread_title,
       t.url AS thread_url
  FROM outbox o
  JOIN sites s ON s.site_id = o.site_id
  LEFT JOIN email_addresses a ON a.site_id = o.site_id AND a.email = o.recipient
  LEFT JOIN comments r ON o.kind = 'reply' AND r.site_id = o.site_id AND r.comment_id = o.comment_id
  LEFT JOIN comments p ON p.site_id = r.site_id AND p.comment_id = r.parent_id
  LEFT JOIN threads t ON t.site_id = r.site_id AND t.thread = r.thread
 WHERE o.site_id = $1 AND o.outbox_id = $2"""

MARK_SENT = "UPDATE outbox SET sent_at = now() WHERE site_id = $1 AND outbox_id = $2"

# What a digest counts: held items and, of the held comments, those readers' reports sent back.
DIGEST_COUNTS = """
SELECT (SELECT count(*) FROM comments WHERE site_id = $1 AND status = 'held') AS held_comments,
       (SELECT count(*) FROM ratings WHERE site_id = $1 AND status = 'held') AS held_ratings,
       (SELECT count(DISTINCT c.comment_id) FROM comments c JOIN reports r USING (site_id, comment_id)
         WHERE c.site_id = $1 AND c.status = 'held') AS reported"""

# Sites with digest recipients whose last digest is older than their interval and which have
# held items: one outbox row and job per recipient.
QUEUE_DIGESTS = """
WITH due AS (
    SELECT s.site_id, jsonb_array_elements_text(s.settings->'digest'->'emails') AS email
      FROM sites s
     WHERE jsonb_array_length(coalesce(s.settings->'digest'->'emails', '[]')) > 0
       AND NOT EXISTS (
           SELECT FROM outbox o WHERE o.site_id = s.site_id AND o.kind = 'digest'
              AND o.created_at > now() - make_interval(hours => coalesce(
                  (s.settings->'digest'->>'every_hours')::int, 24)))
       AND EXISTS (SELECT FROM comments c WHERE c.site_id = s.site_id AND c.status = 'held')
), mail AS (
    INSERT INTO outbox (site_id, kind, recipient) SELECT site_id, 'digest', email FROM due
    RETURNING site_id, outbox_id
)
INSERT INTO jobs (site_id, kind, item_id, item_version)
SELECT site_id, 'email', outbox_id, 1 FROM mail"""


def normalized(email: str) -> str:
    return email.strip().lower()


async def subscribe(conn, site_id: str, comment_id: int, email: str) -> None:
    await conn.execute(SUBSCRIBE, site_id, comment_id, normalized(email))


async def accept_subscribed(pool, new: NewComment, email: str) -> tuple[int, datetime]:
    """A comment with "email me replies": the comment, its rule job, the subscription and a due
    confirmation email are committed together (not in the accepter's batches: they are rare)."""
    if new.limit is not None:
        await rate_limits.hit(pool, new.site_id, "comment", new.limit, new.ip_hash)
    async with pool.acquire() as conn, conn.transaction():
        comment_id, created_at = await comments.accept(conn, new, lambda: None)  # woken after
        await subscribe(conn, new.site_id, comment_id, email)
    return comment_id, created_at


async def confirm(conn, site_id: str, email: str) -> bool:
    """False when the address unsubscribed since (or never asked)."""
    return await conn.fetchval(CONFIRM, site_id, normalized(email)) is not None


async def unsubscribe(conn, site_id: str, email: str) -> None:
    await conn.execute(UNSUBSCRIBE, site_id, normalized(email))


async def queue_digests(conn) -> int:
    """Queues the digests that are due (moderation.queue.cleanup runs it); returns how many."""
    return int((await conn.execute(QUEUE_DIGESTS)).split()[-1])


def base_url(config: Config) -> str:
    return (config.public_url or f"http://{config.host}:{config.port}").rstrip("/")


class Undeliverable(Exception):
    """The email cannot be sent as things are (no SMTP_URL): retried, then dead, for an admin."""


def compose(row, site_id: str, config: Config, signer: Signer):
    """The message for an outbox row, or None when it must not be sent (any more)."""
    sender, site_name, to = config.mail_from, row["site_name"], row["recipient"]
    base = base_url(config)
    if row["kind"] == "confirm":
        if row["address_status"] != "unconfirmed":
            return None
        token = signer.email_token("confirm", site_id, to)
        return messages.confirmation(sender, site_name, to,
                                     messages.link(base, site_id, "confirm", token))
    if row["kind"] == "reply":
        if row["address_status"] != "confirmed" or row["reply_status"] != "approved":
            return None
        token = signer.email_token("unsubscribe", site_id, to)
        # The first commenter names a thread's URL: it is linked only on the site's own origins.
        thread_link = (f"{row['thread_url']}#comment-{row['reply_id']}"
                       if on_site(row["thread_url"], row["allowed_origins"]) else None)
        return messages.reply_notice(sender, site_name, to, row["replier"], row["reply_body"],
                                     row["parent_body"] or "", row["thread_title"], thread_link,
                                     messages.link(base, site_id, "unsubscribe", token))
    return None  # digests are composed with their counts (deliver_one)


def on_site(url: str | None, allowed_origins: list[str] | None) -> bool:
    """Whether a URL is on one of the site's allowed origins."""
    if not url or not allowed_origins:
        return False
    try:
        origin = str(URL(url).origin())
    except ValueError:
        return False
    return origin in {o.rstrip("/") for o in allowed_origins}


async def deliver(conn, jobs: list[asyncpg.Record], config: Config) -> int:
    """Sends the emails of claimed 'email' jobs, one at a time; returns how many jobs it finished
    (sent, or no longer to be sent). Failures go back to the queue with backoff."""
    if not config.smtp_url:
        server = None
    else:
        server = SmtpServer.from_url(config.smtp_url)
    signer = Signer(config.with_secret().require_secret_key())
    done = 0
    for job in jobs:
        try:
            done += await deliver_one(conn, job, config, server, signer)
        except DATABASE_DOWN:
            raise  # the lease ends and the job comes back by itself
        except Exception as exc:
            status = await queue.fail(conn, job, f"{type(exc).__name__}: {exc}",
                                      config.max_attempts, config.retry_base_s, config.retry_max_s)
            log.warning("email job %s failed (now %s): %s", job["job_id"], status, exc)
    return done


async def deliver_one(conn, job: asyncpg.Record, config: Config, server: SmtpServer | None,
                      signer: Signer) -> int:
    site_id, outbox_id = job["site_id"], job["item_id"]
    row = await conn.fetchrow(SELECT_MAIL, site_id, outbox_id)
    message = None
    if row is not None and row["sent_at"] is None:
        if row["kind"] == "digest":
            counts = await conn.fetchrow(DIGEST_COUNTS, site_id)
            message = messages.digest(config.mail_from, row["site_name"], row["recipient"],
                                      counts["held_comments"], counts["held_ratings"],
                                      counts["reported"], f"{base_url(config)}/moderate")
        else:
            message = compose(row, site_id, config, signer)
    if message is not None:
        if server is None:
            raise Undeliverable("SMTP_URL is not set")
        await server.send(message)
    async with conn.transaction():
        finished = await queue.finish(conn, [job])
        if message is not None:
            await conn.execute(MARK_SENT, site_id, outbox_id)
    return len(finished)
