"""Group commit for new comments: the comments of concurrent requests are stored by one statement.

Each request hands its comment to the app's `CommentAccepter` and waits for its own answer, so a
202 still means the comment and its rule job are committed. There is no timer: a comment that
arrives while no flush is running is flushed at once (with whatever else arrived in the same turn
of the event loop); comments arriving while a flush is in flight wait and go together in the
next one. One flush is in flight at a time, and the next batch fills while it makes its round
trip: two at once split the same comments into more, smaller statements, for more CPU in the API
and in PostgreSQL per comment and a lower maximum rate (docs/performance.md). Only a flush that
has taken longer than `SLOW_FLUSH_S` (a lock wait, a slow disk) lets a second one start beside
it, so one stuck batch does not hold back every comment of the process.

Per batch that is one pool acquire, one statement and one commit instead of one per comment.
The same statement counts the batch's comments against the sites' rate limits
(moderation.web.rate_limits) and stores only those within them; the others get 429.
Whatever the batch statement does not store — a retry with an Idempotency-Key, a reply to an
unknown parent, a key repeated within the batch — and every row of a batch that fails for another
reason than the database being down, goes through the single-row `comments.accept` instead, so
each request gets exactly the answer it got before. `/metrics` shows how many comments are
waiting to be stored (`moderation_comments_accepting`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

import asyncpg
from aiohttp import web
from prometheus_client import Gauge

from moderation.comments import store as comments
from moderation.comments.store import NewComment
from moderation.errors import DATABASE_DOWN
from moderation.observability import METRICS
from moderation.sites.settings import RateLimit
from moderation.text.fingerprint import text_hash
from moderation.threads.store import thread_closed
from moderation.web import rate_limits
from moderation.web.keys import ACCEPTER, NOTIFIER, POOL

log = logging.getLogger(__name__)

# comments.INSERT_COMMENT for many rows, answering which input rows (by ordinal) it stored.
# The rows come as one JSON array of arrays: far cheaper for asyncpg to send than an array per
# column. Comment ids are drawn before the insert so each stored row can be matched to its
# request. The insert runs in one key order in every batch: two batches holding the same
# Idempotency-Keys then wait for each other instead of deadlocking.
ACCEPT_BATCH = """
WITH input AS MATERIALIZED (
    SELECT r->>0 AS site_id, r->>1 AS thread, r->>2 AS url, r->>3 AS title, r->>4 AS commenter,
           r->>5 AS name, r->>6 AS email, (r->>7)::boolean AS verified,
           (r->>8)::bigint AS parent_id, r->>9 AS body, decode(r->>10, 'hex') AS ip_hash,
           nullif(r->11, 'null') AS signals, r->>12 AS idempotency_key,
           (r->>13)::bigint AS text_hash, (r->>14)::int AS window_s,
           (r->>15)::int AS per_address, (r->>16)::int AS per_site,
           (r->>17)::timestamptz AS closed_before, ordinal
      FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS given (r, ordinal)
), buckets AS MATERIALIZED (
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
), closed AS MATERIALIZED (
    -- Comments to closed threads (moderation.threads.store): one primary key probe each.
    SELECT i.ordinal FROM input i
     WHERE i.ordinal NOT IN (SELECT ordinal FROM refused) AND EXISTS (
           SELECT FROM threads t WHERE t.site_id = i.site_id AND t.thread = i.thread
              AND coalesce(t.closed, t.created_at <= i.closed_before, false))
), new_threads AS (
    INSERT INTO threads (site_id, thread, url, title)
    SELECT DISTINCT ON (site_id, thread) site_id, thread, url, title
      FROM input WHERE ordinal NOT IN (SELECT ordinal FROM refused)
     ORDER BY site_id, thread, ordinal
    ON CONFLICT (site_id, thread) DO NOTHING
), new_commenters AS (
    INSERT INTO commenters (site_id, commenter, name, email, verified)
    SELECT DISTINCT ON (site_id, commenter) site_id, commenter, name, email, verified
      FROM input WHERE ordinal NOT IN (SELECT ordinal FROM refused)
     ORDER BY site_id, commenter, ordinal
    ON CONFLICT (site_id, commenter) DO NOTHING
), rooted AS MATERIALIZED (
    -- Only a reply looks up its parent, one primary key lookup each: a join here could be
    -- planned as a scan of all comments per batch.
    SELECT i.*, CASE WHEN i.parent_id IS NOT NULL THEN (
               SELECT coalesce(parent.root_id, parent.comment_id) FROM comments parent
                WHERE parent.site_id = i.site_id AND parent.comment_id = i.parent_id
                  AND parent.thread = i.thread AND parent.status <> 'deleted') END AS root_id
      FROM input i WHERE i.ordinal NOT IN (SELECT ordinal FROM refused)
                     AND i.ordinal NOT IN (SELECT ordinal FROM closed)
), placed AS MATERIALIZED (
    SELECT *, nextval((SELECT pg_get_serial_sequence('comments', 'comment_id'))::regclass)
                  AS comment_id
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
    INSERT INTO jobs (site_id, kind, item_id, item_version)
    SELECT site_id, 'comment', comment_id, version FROM comment
)
SELECT placed.ordinal, comment.comment_id, comment.created_at, NULL::boolean AS site_wide,
       NULL::float8 AS left_s, false AS closed
  FROM comment JOIN placed USING (site_id, comment_id)
UNION ALL
SELECT ordinal, NULL, NULL, site_wide, left_s, false FROM refused
UNION ALL
SELECT ordinal, NULL, NULL, NULL, NULL, true FROM closed"""

MAX_BATCH = 200
MAX_FLUSHES = 2  # in flight at once, the second only beside a slow one
SLOW_FLUSH_S = 0.05

Accepted = tuple[int, datetime]
Waiter = tuple[NewComment, "asyncio.Future[Accepted]"]


def batch_rows(batch: list[Waiter]) -> list[tuple]:
    """The rows of ACCEPT_BATCH's JSON parameter (the pool's jsonb codec encodes them)."""
    return [(new.site_id, new.thread, new.thread_url, new.thread_title, new.commenter, new.name,
             new.email, new.verified, new.parent_id, new.body,
             new.ip_hash.hex() if new.ip_hash is not None else None, new.signals,
             new.idempotency_key, text_hash(new.body), *limit_columns(new.limit),
             new.closed_before.isoformat() if new.closed_before is not None else None)
            for new, _ in batch]


def limit_columns(limit: RateLimit | None) -> tuple[int | None, int | None, int | None]:
    """ACCEPT_BATCH's window and limits of a comment; none for a site without limits."""
    if limit is None:
        return None, None, None
    return limit.window_s, limit.per_address, limit.per_site


def answer(future: asyncio.Future, result: Accepted) -> None:
    if not future.done():  # done: its request was cancelled (the client went away)
        future.set_result(result)


def fail(future: asyncio.Future, error: BaseException) -> None:
    if not future.done():
        future.set_exception(error)


class CommentAccepter:
    """Stores comments in batches; `accept` answers when the caller's comment is committed."""

    def __init__(self, pool: asyncpg.Pool, on_committed: Callable[[], None],
                 max_batch: int = MAX_BATCH, max_flushes: int = MAX_FLUSHES,
                 slow_flush_s: float = SLOW_FLUSH_S) -> None:
        self.pool = pool
        self.on_committed = on_committed  # wakes the rule workers
        self.max_batch = max_batch
        self.max_flushes = max_flushes
        self.slow_flush_s = slow_flush_s
        self.in_progress = 0  # accept calls not answered yet, for /metrics
        self._waiting: list[Waiter] = []
        self._flushes: dict[asyncio.Task, float] = {}  # in flight, with the time each started
        self._collecting = False  # a flush has started but not yet taken its batch
        self._recheck: asyncio.TimerHandle | None = None

    async def accept(self, new: NewComment) -> Accepted:
        """(comment id, created_at) once the comment and its job are committed; a retry with the
        same Idempotency-Key gets the original. Raises what `comments.accept` would raise."""
        future = asyncio.get_running_loop().create_future()
        self._waiting.append((new, future))
        self._start_flush()
        self.in_progress += 1
        try:
            return await future  # cancelled with its request: the batch goes on without it
        finally:
            self.in_progress -= 1

    async def drain(self) -> None:
        """Waits until every comment handed in is stored or answered (on shutdown)."""
        while self._flushes:
            await asyncio.gather(*self._flushes, return_exceptions=True)

    def _start_flush(self) -> None:
        if not self._waiting or self._collecting or len(self._flushes) >= self.max_flushes:
            return
        loop = asyncio.get_running_loop()
        if self._flushes:  # another one beside it only once it is slow
            slow_at = min(self._flushes.values()) + self.slow_flush_s
            if loop.time() < slow_at:
                if self._recheck is None:
                    self._recheck = loop.call_at(slow_at, self._recheck_slow)
                return
        self._collecting = True
        task = asyncio.create_task(self._flush(), name="accept-comments")
        self._flushes[task] = loop.time()
        task.add_done_callback(self._flush_done)  # also if cancelled before it ran

    def _recheck_slow(self) -> None:
        self._recheck = None
        self._start_flush()

    def _flush_done(self, task: asyncio.Task) -> None:
        self._flushes.pop(task, None)

    async def _flush(self) -> None:
        # Runs a turn of the event loop after it was started: the requests that arrived meanwhile
        # join this batch.
        self._collecting = False
        batch = [(new, future) for new, future in self._waiting[:self.max_batch]
                 if not future.done()]
        del self._waiting[:self.max_batch]
        self._start_flush()  # more than one batch waiting
        try:
            if batch:
                await self._store(batch)
        finally:
            for _, future in batch:
                if not future.done():  # only if this task was cancelled: never leave a waiter
                    future.cancel()
            current = asyncio.current_task()
            if current is not None:
                self._flushes.pop(current, None)
            self._start_flush()

    async def _store(self, batch: list[Waiter]) -> None:
        try:
            rows = await self.pool.fetch(ACCEPT_BATCH, batch_rows(batch))
        except DATABASE_DOWN as exc:
            for _, future in batch:
                fail(future, exc)
            return
        except Exception:
            # One row the database refuses fails the whole statement: find it one by one.
            log.warning("a batch of %d comments failed; storing them one by one", len(batch),
                        exc_info=True)
            await self._store_one_by_one(batch, counted=False)  # its counts were rolled back
            return
        stored = {row["ordinal"]: (row["comment_id"], row["created_at"])
                  for row in rows if row["comment_id"] is not None}
        refused = {row["ordinal"]: row for row in rows if row["comment_id"] is None}
        left = []
        for ordinal, (new, future) in enumerate(batch, 1):
            if ordinal in stored:
                answer(future, stored[ordinal])
            elif ordinal in refused and refused[ordinal]["closed"]:
                fail(future, thread_closed())
            elif ordinal in refused and new.limit is not None:
                row = refused[ordinal]
                fail(future, rate_limits.rate_limited(
                    "comment", "site" if row["site_wide"] else "address", new.limit,
                    row["left_s"]))
            else:
                left.append((new, future))
        if stored:
            self.on_committed()
        if left:  # counted by the batch already
            await self._store_one_by_one(left, counted=True)

    async def _store_one_by_one(self, batch: list[Waiter], counted: bool) -> None:
        """The single-row path: a retry's original, 409 for a reused key, 422 for an unknown
        parent, 429 past a rate limit, or the row's own database error."""
        waiting = [(new, future) for new, future in batch if not future.done()]
        await asyncio.gather(*(self._store_one(new, future, counted) for new, future in waiting))
        if waiting:
            self.on_committed()

    async def _store_one(self, new: NewComment, future: asyncio.Future, counted: bool) -> None:
        try:
            if not counted and new.limit is not None:
                await rate_limits.hit(self.pool, new.site_id, "comment", new.limit, new.ip_hash)
            answer(future, await comments.accept(self.pool, new))
        except Exception as exc:
            fail(future, exc)


async def accepter_ctx(app: web.Application):
    """The app's CommentAccepter, on the pool of database_ctx; drained before the pool closes."""
    accepter = CommentAccepter(app[POOL], lambda: app[NOTIFIER].poke())
    app[ACCEPTER] = accepter
    Gauge("moderation_comments_accepting", "comments received and not yet answered (being stored)",
          registry=app[METRICS].registry).set_function(lambda: accepter.in_progress)
    yield
    await accepter.drain()
