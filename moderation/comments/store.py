"""Comments: accepting, reading, editing and deleting them, and the SQL that does it.

Accepting comments is one statement (ACCEPT_BATCH; ACCEPT_BATCH_UNCOUNTED when no row is rate
limited): threads and commenters created on first sight, the comments and their rule jobs
inserted together, so the 202 means both are committed. Requests
accept through `moderation.comments.accepting`, which stores concurrent comments in one batch and
falls back to `accept` here, a batch of one, for each row the batch did not store (retries,
unknown parents, a row the database refuses).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

import asyncpg

from moderation.db.pool import Connection, ConnectionOrPool
from moderation.errors import ApiError, not_found
from moderation.queue import jobs as queue
from moderation.queue.jobs import Wake, enqueue
from moderation.review.audit import INSERT_AUDIT, INSERT_VERDICTS
from moderation.sites.settings import RateLimit
from moderation.text.fingerprint import text_hash
from moderation.threads import store as threads

if TYPE_CHECKING:
    from moderation.judging.pipeline import Judgement

# Stores comments, each with its rule job, answering which input rows (by ordinal) it stored; a
# request's own comment is a batch of one (accept).
# The rows come as one JSON array of arrays: far cheaper for asyncpg to send than an array per
# column. Comment ids are drawn before the insert so each stored row can be matched to its
# request. The insert runs in one key order in every batch: two batches holding the same
# Idempotency-Keys then wait for each other instead of deadlocking.
# Two variants of one text: ACCEPT_BATCH counts the rows against their rate limits and stores
# only those within them; ACCEPT_BATCH_UNCOUNTED, for batches in which no row is limited, leaves
# the counting out, which PostgreSQL would otherwise set up for every statement
# (docs/decisions/0010).
ACCEPT_INPUT = """
WITH input AS MATERIALIZED (
    SELECT r->>0 AS site_id, r->>1 AS thread, r->>2 AS url, r->>3 AS title, r->>4 AS commenter,
           r->>5 AS name, r->>6 AS email, (r->>7)::boolean AS verified,
           (r->>8)::bigint AS parent_id, r->>9 AS body, decode(r->>10, 'hex') AS ip_hash,
           nullif(r->11, 'null') AS signals, r->>12 AS idempotency_key,
           (r->>13)::bigint AS text_hash, (r->>14)::int AS window_s,
           (r->>15)::int AS per_address, (r->>16)::int AS per_site,
           (r->>17)::timestamptz AS closed_before, ordinal
      FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS given (r, ordinal)
)"""

ACCEPT_RATE_COUNTS = """, buckets AS MATERIALIZED (
    -- The rate-limit buckets of each comment (moderation.web.rate_limits): its address and its
    -- site, where the site limits them, each with its window and the comment's place in it.
    SELECT b.*, row_number() OVER (PARTITION BY site_id, key, window_start ORDER BY ordinal) AS nth
      FROM (SELECT ordinal, site_id, ip_hash AS key, per_address AS quota, window_s,
                   to_timestamp(floor(extract(epoch FROM now()) / window_s) * window_s)
                       AS window_start
              FROM input WHERE per_address IS NOT NULL AND ip_hash IS NOT NULL
            UNION ALL
            SELECT ordinal, site_id, ''::bytea, per_site, window_s,
                   to_timestamp(floor(extract(epoch FROM now()) / window_s) * window_s)
              FROM input WHERE per_site IS NOT NULL) b
), batch_counts AS MATERIALIZED (
    SELECT site_id, key, window_start, count(*)::int AS n FROM buckets
     GROUP BY site_id, key, window_start
), counted AS (
    -- In key order, so two batches never wait for each other's rows in opposite orders.
    INSERT INTO rate_counts AS rc (site_id, action, address_hash, window_start, count)
    SELECT site_id, 'comment', key, window_start, n FROM batch_counts
     ORDER BY site_id, key, window_start
    ON CONFLICT (site_id, action, address_hash, window_start)
    DO UPDATE SET count = rc.count + EXCLUDED.count
    RETURNING rc.site_id, rc.address_hash, rc.window_start, rc.count
), refused AS MATERIALIZED (
    -- A comment over any of its limits, with the seconds until that window ends.
    SELECT DISTINCT ON (b.ordinal) b.ordinal, b.key = ''::bytea AS site_wide,
           extract(epoch FROM b.window_start + make_interval(secs => b.window_s) - now())::float8
               AS left_s
      FROM buckets b
      JOIN batch_counts g USING (site_id, key, window_start)
      JOIN counted c ON c.site_id = b.site_id AND c.address_hash = b.key
                    AND c.window_start = b.window_start
     WHERE c.count - g.n + b.nth > b.quota
     ORDER BY b.ordinal, 3 DESC
), allowed AS MATERIALIZED (
    SELECT * FROM input WHERE ordinal NOT IN (SELECT ordinal FROM refused)
)"""

ACCEPT_UNCOUNTED = """, allowed AS NOT MATERIALIZED (
    SELECT * FROM input
)"""

ACCEPT_STORE = f"""
, closed AS MATERIALIZED (
    -- Comments to closed threads (moderation.threads.store): one primary key probe each.
    SELECT i.ordinal FROM allowed i
     WHERE EXISTS (
           SELECT FROM threads t WHERE t.site_id = i.site_id AND t.thread = i.thread
              AND coalesce(t.closed, t.created_at <= i.closed_before, false))
), new_threads AS (
    INSERT INTO threads (site_id, thread, url, title)
    SELECT DISTINCT ON (site_id, thread) site_id, thread, url, title
      FROM allowed
     ORDER BY site_id, thread, ordinal
    ON CONFLICT (site_id, thread) DO NOTHING
), new_commenters AS (
    INSERT INTO commenters (site_id, commenter, name, email, verified)
    SELECT DISTINCT ON (site_id, commenter) site_id, commenter, name, email, verified
      FROM allowed
     ORDER BY site_id, commenter, ordinal
    ON CONFLICT (site_id, commenter) DO NOTHING
), rooted AS MATERIALIZED (
    -- Only a reply looks up its parent, one primary key lookup each: a join here could be
    -- planned as a scan of all comments per batch.
    SELECT i.*, CASE WHEN i.parent_id IS NOT NULL THEN (
               SELECT coalesce(parent.root_id, parent.comment_id) FROM comments parent
                WHERE parent.site_id = i.site_id AND parent.comment_id = i.parent_id
                  AND parent.thread = i.thread AND parent.status <> 'deleted') END AS root_id
      FROM allowed i WHERE i.ordinal NOT IN (SELECT ordinal FROM closed)
), placed AS MATERIALIZED (
    -- The identity column's own sequence, by name, so no statement has to look it up.
    SELECT *, nextval('comments_comment_id_seq'::regclass) AS comment_id
      FROM rooted WHERE parent_id IS NULL OR root_id IS NOT NULL
), comment AS (
    INSERT INTO comments (site_id, comment_id, thread, parent_id, root_id, commenter, author_name,
                          verified, body, ip_hash, signals, idempotency_key, text_hash, created_at)
    OVERRIDING SYSTEM VALUE
    SELECT site_id, comment_id, thread, parent_id, root_id, commenter, name, verified, body,
           ip_hash, signals, idempotency_key, text_hash,
           -- Separate requests keep separate times, as they had one statement each: the flood
           -- rule counts only comments before each one, so a burst in one batch still counts.
           now() + ordinal * interval '1 microsecond'
      FROM placed ORDER BY site_id, commenter, idempotency_key, ordinal
    ON CONFLICT (site_id, commenter, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
    RETURNING site_id, comment_id, version, created_at
), job AS (
    {enqueue("comment", "comment", "comment_id")}
)
SELECT placed.ordinal, comment.comment_id, comment.created_at, NULL::boolean AS site_wide,
       NULL::float8 AS left_s, false AS closed
  FROM comment JOIN placed USING (site_id, comment_id)
UNION ALL
SELECT ordinal, NULL, NULL, NULL, NULL, true FROM closed"""

ACCEPT_REFUSED = """
UNION ALL
SELECT ordinal, NULL, NULL, site_wide, left_s, false FROM refused"""

ACCEPT_BATCH = ACCEPT_INPUT + ACCEPT_RATE_COUNTS + ACCEPT_STORE + ACCEPT_REFUSED
ACCEPT_BATCH_UNCOUNTED = ACCEPT_INPUT + ACCEPT_UNCOUNTED + ACCEPT_STORE

# What an Idempotency-Key already stands for, to answer a retry with the same comment.
SELECT_BY_IDEMPOTENCY_KEY = """
SELECT comment_id, created_at, thread, body, parent_id FROM comments
 WHERE site_id = $1 AND commenter = $2 AND idempotency_key = $3"""

SELECT_COMMENT = """
SELECT comment_id, thread, parent_id, author_name, verified, body, status, created_at, edited_at,
       version, votes_up, votes_down, featured_at
  FROM comments WHERE site_id = $1 AND comment_id = $2"""

# A new version goes back through the rules; a job still running on the old version finds the
# version changed and applies nothing.
EDIT_COMMENT = f"""
WITH edited AS (
    UPDATE comments SET body = $3, version = version + 1, revision = revision + 1,
                        status = 'pending', edited_at = now(),
                        decided_at = NULL, text_hash = $5
     WHERE site_id = $1 AND comment_id = $2 AND status <> 'deleted'
    RETURNING site_id, comment_id, version, status
), job AS (
    {enqueue("comment", "edited", "comment_id")}
), audit AS (
    {INSERT_AUDIT}
    SELECT site_id, 'comment', comment_id, 'commenter', 'edit', $4, 'pending', '' FROM edited
)
SELECT comment_id FROM edited"""

DELETE_COMMENT = f"""
WITH deleted AS (
    UPDATE comments SET status = 'deleted', body = '', author_name = '', ip_hash = NULL,
                        signals = NULL, text_hash = NULL, decided_at = now()
     WHERE site_id = $1 AND comment_id = $2 AND status <> 'deleted'
    RETURNING site_id, comment_id
), audit AS (
    {INSERT_AUDIT}
    SELECT site_id, 'comment', comment_id, 'commenter', 'delete', $3, 'deleted', '' FROM deleted
)
SELECT comment_id FROM deleted"""

PAGE_COLUMNS = ("comment_id, parent_id, root_id, author_name, verified, body, created_at, edited_at, "
                "status, votes_up, votes_down, best, featured_at")
REPLY_COLUMNS = ", ".join(f"r.{c}" for c in PAGE_COLUMNS.split(", "))


EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


# A thread page's rows (PAGE_TEMPLATE) by their first column, kind.
TOP, REPLY, FEATURED = 0, 1, 2


def micros(column: str) -> str:
    """A timestamptz as integer microseconds since 1970, far cheaper for asyncpg to decode than a
    timestamptz (epoch seconds as float8 are within a microsecond's fraction: rounding is exact)."""
    return f"round(date_part('epoch', {column}) * 1000000)::int8"


def json_time(column: str) -> str:
    """A timestamptz as orjson writes an aware UTC datetime: microseconds only when not zero."""
    return (f"""replace(to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"'), """
            "'.000000+', '+')")


def json_bool(condition: str) -> str:
    return f"CASE WHEN {condition} THEN 'true' ELSE 'false' END"


# A comment of a thread page ($2) as JSON text, byte for byte what orjson makes of
# moderation.comments.handlers.comment_out(row, thread) (tests/comments/test_page_json.py): the
# page's Python work was decoding and re-encoding every column of every comment
# (docs/decisions/0013). One no longer approved is the "comment removed" placeholder.
def comment_json(c: str) -> str:
    """`c`: the alias of the row's table, with a dot."""
    approved = f"{c}status = 'approved'"
    return f"""'{{"id":"' || {c}comment_id || '","thread":' || (SELECT to_json($2::text)::text)
    || ',"parent_id":' || coalesce('"' || {c}parent_id || '"', 'null')
    || CASE WHEN {approved} THEN
           ',"author":{{"name":' || to_json({c}author_name) || ',"verified":'
           || {json_bool(f"{c}verified")} || '}},"body":' || to_json({c}body)
           || ',"created_at":"' || {json_time(f"{c}created_at")} || '","edited_at":'
           || coalesce('"' || {json_time(f"{c}edited_at")} || '"', 'null')
       ELSE
           ',"author":{{"name":"","verified":false}},"body":"","created_at":"'
           || {json_time(f"{c}created_at")} || '","edited_at":null'
       END
    || ',"votes":{{"up":' || {c}votes_up || ',"down":' || {c}votes_down || '}},"featured":'
    || {json_bool(f"{c}featured_at IS NOT NULL AND {approved}")}
    || ',"removed":' || {json_bool(f"NOT {approved}")} || '}}'"""


def braces(sql: str) -> str:
    """SQL put into a template that str.format fills in later."""
    return sql.replace("{", "{{").replace("}", "}}")


MAX_PAGE = 100  # top-level comments a page may ask for (ThreadQuery.limit)
# Featured comments ("Editors' picks") the first page of a thread lists before the others.
FEATURED_ON_PAGE = 20
# Replies shown under each top-level comment of a thread page, oldest first; the rest are paged
# with GET …/comments/{id}/replies. One comment with thousands of replies must not make every
# read of its article's page carry them all.
# Each top-level comment's first replies are one short scan of comments_replies (a LATERAL with a
# LIMIT); only a comment that fills its cap has all its replies counted (an index-only scan).
# A top-level comment no longer approved (rejected, deleted, back in review) is listed while it
# has approved replies: the page shows it as "comment removed" and keeps the replies readable.
# The first page (no cursor) also carries the thread's featured comments.
PAGE_TEMPLATE = f"""
WITH page AS (
    SELECT {PAGE_COLUMNS} FROM comments c
     WHERE site_id = $1 AND thread = $2 AND parent_id IS NULL {{after}}
       AND (status = 'approved' OR EXISTS (
            SELECT FROM comments r WHERE r.site_id = $1 AND r.root_id = c.comment_id
               AND r.status = 'approved'))
     ORDER BY {{order}} LIMIT {{limit}}
), replies AS MATERIALIZED (
    -- At most $4 in all, the page's first comments' first: 100 comments with 100 long replies
    -- each would make one page of megabytes.
    SELECT {REPLY_COLUMNS} FROM page p CROSS JOIN LATERAL (
        SELECT {PAGE_COLUMNS} FROM comments
         WHERE site_id = $1 AND root_id = p.comment_id AND status = 'approved'
         ORDER BY created_at, comment_id LIMIT $3) r
     ORDER BY {{page_order}}, r.created_at, r.comment_id
     LIMIT $4
), shown AS (
    SELECT root_id, count(*) AS shown FROM replies GROUP BY root_id
), rows AS (
    SELECT {TOP} AS kind, p.*,
           CASE WHEN s.shown = $3 OR (SELECT count(*) FROM replies) = $4 THEN (
               SELECT count(*) FROM comments c
                WHERE c.site_id = $1 AND c.root_id = p.comment_id AND c.status = 'approved')
           ELSE coalesce(s.shown, 0) END AS reply_count
      FROM page p LEFT JOIN shown s ON s.root_id = p.comment_id
    UNION ALL
    SELECT {REPLY}, *, NULL FROM replies
    {{featured}}
)
SELECT rows.kind, rows.comment_id, rows.root_id,
       {micros("rows.created_at")} AS at, rows.best, rows.reply_count,
       {braces(comment_json("rows."))} AS json,
       t.approved_count AS total, t.closed AS thread_closed,
       {micros("t.created_at")} AS thread_created_at
  FROM rows LEFT JOIN threads t ON t.site_id = $1 AND t.thread = $2
 ORDER BY kind, CASE WHEN kind = {FEATURED} THEN rows.featured_at END DESC,
          CASE WHEN kind = {REPLY} THEN rows.created_at END,
          CASE WHEN kind = {REPLY} THEN rows.comment_id END,
          {{rows_order}}"""

FEATURED_ROWS = f"""
    UNION ALL
    SELECT {FEATURED}, *, NULL FROM (
        SELECT {PAGE_COLUMNS} FROM comments
         WHERE site_id = $1 AND thread = $2 AND featured_at IS NOT NULL AND status = 'approved'
         ORDER BY featured_at DESC LIMIT {FEATURED_ON_PAGE}) f"""

# Each sort's key, most significant first, with its direction; the keyset cursor is the last
# comment's key ($5 created_at, $6 comment_id, $7 best).
SORT_KEYS = {
    "oldest": (("created_at", "ASC"), ("comment_id", "ASC")),
    "newest": (("created_at", "DESC"), ("comment_id", "DESC")),
    # Wilson lower bound of the votes (sql/0013), ties newest first.
    "best": (("best", "DESC"), ("created_at", "DESC"), ("comment_id", "DESC")),
}
CURSOR_PARAMS = {"created_at": "$5", "comment_id": "$6", "best": "$7"}


@functools.cache
def page_query(sort: str, after_cursor: bool, limit: int) -> str:
    """The page's statement; its LIMIT is written in (not a parameter): with `LIMIT $n` the
    generic plan was costed for a tenth of the thread, so PostgreSQL planned every execution
    anew, a millisecond each (docs/decisions/0013)."""
    if not (isinstance(limit, int) and 1 <= limit <= MAX_PAGE):
        raise ValueError(f"page limit {limit!r}")
    keys = SORT_KEYS[sort]
    after = ""
    if after_cursor:  # every key of one sort runs in one direction: a row comparison
        compare = ">" if keys[0][1] == "ASC" else "<"
        columns = ", ".join(name for name, _ in keys)
        params = ", ".join(CURSOR_PARAMS[name] for name, _ in keys)
        after = f"AND ({columns}) {compare} ({params})"

    def order(prefix: str) -> str:
        return ", ".join(f"{prefix}{name} {direction}" for name, direction in keys)

    # Replies come oldest first under every order, featured comments newest pick first.
    return PAGE_TEMPLATE.format(limit=limit, after=after, order=order(""), page_order=order("p."),
                                rows_order=order("rows."),
                                featured="" if after_cursor else FEATURED_ROWS)


# Replies of one approved top-level comment, oldest first, after a keyset cursor. The LEFT JOIN
# tells "no such top-level comment" (no row) from "no more replies" (one row of NULLs).
REPLIES_TEMPLATE = f"""
SELECT r.* FROM comments top LEFT JOIN LATERAL (
    SELECT thread, {PAGE_COLUMNS} FROM comments
     WHERE site_id = $1 AND root_id = top.comment_id AND status = 'approved' {{after}}
     ORDER BY created_at, comment_id LIMIT $3) r ON true
 WHERE top.site_id = $1 AND top.comment_id = $2 AND top.parent_id IS NULL
   AND (top.status = 'approved' OR EXISTS (
        SELECT FROM comments a WHERE a.site_id = $1 AND a.root_id = top.comment_id
           AND a.status = 'approved'))"""
REPLIES_QUERIES = {
    False: REPLIES_TEMPLATE.format(after=""),
    True: REPLIES_TEMPLATE.format(after="AND (created_at, comment_id) > ($4, $5)"),
}

SELECT_COUNTS = """
SELECT thread, approved_count FROM threads WHERE site_id = $1 AND thread = ANY($2::text[])"""

# The rule workers' side (moderation.queue.kinds): one statement finishes a claimed batch's
# comment jobs and applies their decisions, with their verdicts, audit rows and review priorities;
# one statement is one transaction, so it needs no BEGIN and COMMIT of its own.
# - A job is finished only while this worker still holds it (moderation.queue.jobs.FINISH, $1..$4),
#   and a decision applies only to the comment version judged, while it is still pending: each
#   decision takes effect once.
# - Decisions ($5..$8) and verdicts ($9..$14) are keyed by job id (one identity across sites).
# - A held comment's review priority is its rules' scores plus its thread's weight (busy threads
#   are seen by more readers), counting the approvals this statement adds to the thread.
# - Rows are found directly whatever the statistics say, as in the claim and queue.FINISH:
#   comments by primary-key probes, with status compared by IS NOT DISTINCT FROM, which no
#   review index can serve.
APPLY_DECISIONS = f"""
WITH finished AS ({queue.FINISH}
), decided AS MATERIALIZED (
    SELECT f.site_id, f.job_id, f.item_id AS comment_id, f.item_version AS version, d.status,
           d.priority, d.reason, c.thread
      FROM finished f
      JOIN unnest($5::bigint[], $6::text[], $7::float8[], $8::text[])
           AS d(job_id, status, priority, reason) ON d.job_id = f.job_id
     CROSS JOIN LATERAL (
           SELECT c.thread FROM comments c
            WHERE c.site_id = f.site_id AND c.comment_id = f.item_id
              AND c.version = f.item_version AND c.status IS NOT DISTINCT FROM 'pending') c
), weights AS MATERIALIZED (
    SELECT t.site_id, t.thread,
           (least(t.approved_count + d.approvals, 200) / 400.0)::float8 AS weight
      FROM (SELECT site_id, thread, count(*) FILTER (WHERE status = 'approved') AS approvals
              FROM decided GROUP BY site_id, thread
            HAVING bool_or(status = 'held')) d
      JOIN threads t ON t.site_id = d.site_id AND t.thread = d.thread
), applied AS (
    UPDATE comments c
       SET status = d.status, revision = c.revision + 1, decided_at = now(),
           priority = CASE WHEN d.status = 'held' THEN d.priority + coalesce(w.weight, 0)
                           ELSE c.priority END
      FROM decided d
      LEFT JOIN weights w ON w.site_id = d.site_id AND w.thread = d.thread
     WHERE c.site_id = d.site_id AND c.comment_id = d.comment_id AND c.version = d.version
       AND c.status IS NOT DISTINCT FROM 'pending'
    RETURNING d.job_id, c.site_id, c.comment_id, c.version, c.status, d.reason
), verdicts AS (
    {INSERT_VERDICTS}
    SELECT a.site_id, 'comment', a.comment_id, a.version, v.rule, v.action, v.score, v.reason,
           v.details
      FROM unnest($9::bigint[], $10::text[], $11::text[], $12::real[], $13::text[], $14::jsonb[])
           AS v(job_id, rule, action, score, reason, details)
      JOIN applied a ON a.job_id = v.job_id
    ON CONFLICT DO NOTHING
), audit AS (
    {INSERT_AUDIT}
    SELECT site_id, 'comment', comment_id, 'rules', 'decide', 'pending', status, reason
      FROM applied
)
SELECT f.job_id, a.status FROM finished f LEFT JOIN applied a ON a.job_id = f.job_id"""


# Not frozen: made for every comment posted, and a frozen dataclass costs three times as much to
# create (docs/decisions/0001).
@dataclass(slots=True)
class NewComment:
    site_id: str
    thread: str
    thread_url: str | None
    thread_title: str | None
    commenter: str
    name: str
    email: str | None
    verified: bool
    parent_id: int | None
    body: str
    ip_hash: bytes | None
    signals: dict[str, Any] | None
    idempotency_key: str | None
    # The site's rate limit of comments (moderation.web.rate_limits); None: not limited.
    limit: RateLimit | None = None
    # Threads created before this are closed by the site's auto-close (moderation.threads.store).
    closed_before: datetime | None = None


def accept_row(new: NewComment, limit: RateLimit | None) -> tuple:
    """A comment as a row of ACCEPT_BATCH's JSON parameter (the pool's jsonb codec encodes it),
    counted against `limit` (None: not counted)."""
    window_s, per_address, per_site = \
        (limit.window_s, limit.per_address, limit.per_site) if limit else (None, None, None)
    return (new.site_id, new.thread, new.thread_url, new.thread_title, new.commenter, new.name,
            new.email, new.verified, new.parent_id, new.body,
            new.ip_hash.hex() if new.ip_hash is not None else None, new.signals,
            new.idempotency_key, text_hash(new.body), window_s, per_address, per_site,
            new.closed_before.isoformat() if new.closed_before is not None else None)


async def accept(conn: ConnectionOrPool, new: NewComment, wake: Wake) -> tuple[int, datetime]:
    """Stores the comment with its rule job, a batch of one (its rate limit is the caller's), and
    wakes the workers; returns (id, created_at). Retries return the original; a closed thread
    (moderation.threads.store) is 409 thread_closed."""
    row = await conn.fetchrow(ACCEPT_BATCH_UNCOUNTED, [accept_row(new, None)])
    if row is not None and row["closed"]:
        raise threads.thread_closed()
    if row is not None:
        wake()
        return row["comment_id"], row["created_at"]
    if new.idempotency_key is not None:
        earlier = await conn.fetchrow(SELECT_BY_IDEMPOTENCY_KEY, new.site_id, new.commenter,
                                      new.idempotency_key)
        if earlier is not None:
            if (earlier["thread"], earlier["body"], earlier["parent_id"]) != \
                    (new.thread, new.body, new.parent_id):
                raise ApiError(409, "idempotency_key_reused",
                               "this Idempotency-Key was already used for a different comment")
            return earlier["comment_id"], earlier["created_at"]
    raise unknown_parent()


def unknown_parent() -> ApiError:
    return ApiError(422, "validation_failed", "the request has invalid fields",
                    [{"field": "parent_id", "message": "no such comment in this thread",
                      "type": "unknown_parent"}])


async def fetch(conn: ConnectionOrPool, site_id: str, comment_id: int) -> asyncpg.Record | None:
    return await conn.fetchrow(SELECT_COMMENT, site_id, comment_id)


async def edit(pool: asyncpg.Pool, site_id: str, comment_id: int, body: str, edit_window_s: int,
               now: datetime, wake: Wake) -> None:
    """A new version, queued for the rules; the workers are woken once it is committed."""
    async with pool.acquire() as conn, conn.transaction():
        current = await conn.fetchrow(SELECT_COMMENT + " FOR UPDATE", site_id, comment_id)
        if current is None or current["status"] == "deleted":
            raise not_found("comment")
        if current["status"] == "rejected":
            # Otherwise an edit would send a rejected comment back through the rules.
            raise ApiError(409, "comment_rejected", "a rejected comment cannot be edited")
        if now - current["created_at"] > timedelta(seconds=edit_window_s):
            raise ApiError(403, "edit_window_closed",
                           f"comments can be edited for {edit_window_s} seconds after posting")
        await conn.execute(EDIT_COMMENT, site_id, comment_id, body, current["status"],
                           text_hash(body))
    wake()


async def delete(pool: asyncpg.Pool, site_id: str, comment_id: int) -> None:
    async with pool.acquire() as conn, conn.transaction():
        current = await conn.fetchrow(SELECT_COMMENT + " FOR UPDATE", site_id, comment_id)
        if current is None or current["status"] == "deleted":
            raise not_found("comment")
        await conn.execute(DELETE_COMMENT, site_id, comment_id, current["status"])


@dataclass(frozen=True, slots=True)
class Page:
    # The page's top-level comments in its order (kind TOP), then their replies oldest first
    # (REPLY), then the featured comments newest pick first (FEATURED): PAGE_TEMPLATE's rows.
    rows: list[asyncpg.Record]
    total: int
    thread_closed: bool | None  # threads.closed (moderation.threads.store)
    thread_created_at: datetime | None


async def page(conn: ConnectionOrPool, site_id: str, thread: str, sort: str, limit: int, replies_cap: int,
               page_replies_cap: int, after: tuple | None) -> Page:
    """One page of top-level comments, each with its reply_count and its first replies (at most
    `replies_cap` each and `page_replies_cap` in all), the first page's featured comments, and
    the thread's approved total and state. `after`: the last comment's (created_at, comment_id)
    and, for sort=best, its best."""
    query = page_query(sort, after is not None, limit)
    args = (site_id, thread, replies_cap, page_replies_cap, *(after or ()))
    rows = await conn.fetch(query, *args)
    state = rows[0] if rows else await conn.fetchrow(threads.SELECT_THREAD, site_id, thread)
    if state is None:
        return Page(rows, 0, None, None)
    if rows:
        created = state["thread_created_at"]
        return Page(rows, state["total"] or 0, state["thread_closed"],
                    None if created is None else from_micros(created))
    return Page(rows, state["approved_count"], state["closed"], state["created_at"])


def from_micros(micros: int) -> datetime:
    return EPOCH + timedelta(microseconds=micros)


async def replies(conn: ConnectionOrPool, site_id: str, root_id: int, limit: int,
                  after: tuple[datetime, int] | None) -> list[asyncpg.Record] | None:
    """Up to `limit` approved replies of an approved top-level comment after the cursor, oldest
    first; None when there is no such comment."""
    args = (site_id, root_id, limit, *after) if after else (site_id, root_id, limit)
    rows = await conn.fetch(REPLIES_QUERIES[after is not None], *args)
    if not rows:
        return None
    return [row for row in rows if row["comment_id"] is not None]


async def counts(conn: ConnectionOrPool, site_id: str, threads: list[str]) -> dict[str, int]:
    found = {row["thread"]: row["approved_count"]
             for row in await conn.fetch(SELECT_COUNTS, site_id, threads)}
    return {thread: found.get(thread, 0) for thread in threads}


async def apply_decisions(conn: Connection, jobs: list[asyncpg.Record],
                          judged: dict[int, Judgement]) -> tuple[int, list[Judgement]]:
    """Finishes the claimed comment jobs and applies the judgements (by job id) of those still
    held and pending: (how many jobs it finished, the judgements applied)."""
    judgements = list(judged.values())
    verdicts = [(job_id, v) for job_id, j in judged.items() for v in j.stored_verdicts]
    rows = await conn.fetch(
        APPLY_DECISIONS, *queue.finish_arguments(jobs), list(judged),
        [j.status for j in judgements], [j.priority for j in judgements],
        [j.reason for j in judgements], [job_id for job_id, _ in verdicts],
        [v.rule for _, v in verdicts], [v.action for _, v in verdicts],
        [v.score for _, v in verdicts], [v.reason for _, v in verdicts],
        [dict(v.details) if v.details else None for _, v in verdicts])
    return len(rows), [judged[r["job_id"]] for r in rows if r["status"] is not None]
