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

Per batch that is one pool acquire, one statement (moderation.comments.store.ACCEPT_BATCH) and
one commit instead of one per comment. The batch's round trip and commit are what every request
waits for, so nothing else is done on that path: each comment's row is made by its own request,
and the next batch is sent as soon as the database answers, before this batch's answers are
written. The same statement counts the batch's comments against the sites' rate limits
(moderation.web.rate_limits) and stores only those within them; the others get 429. A batch in
which no comment is rate limited runs ACCEPT_BATCH_UNCOUNTED, the same statement without the
counting.
Whatever the batch statement does not store — a retry with an Idempotency-Key, a reply to an
unknown parent, a key repeated within the batch — and every row of a batch that fails for another
reason than the database being down, goes through `comments.accept`, a batch of one, so
each request gets exactly the answer it got before. A batch with comments stored one at a time
counts against `MAX_FLUSHES` until they are, as one in the database does: each of them takes
pool connections, so retries, or a row that fails every batch statement, cannot take the whole
pool from the other requests. `/metrics` shows how many comments are waiting to be stored
(`moderation_comments_accepting`).
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
from moderation.threads.store import thread_closed
from moderation.web import rate_limits
from moderation.web.keys import ACCEPTER, NOTIFIER, POOL

log = logging.getLogger(__name__)

MAX_BATCH = 200
MAX_FLUSHES = 2  # in flight at once, the second only beside a slow one
SLOW_FLUSH_S = 0.05

Accepted = tuple[int, datetime]
# A comment, its row of ACCEPT_BATCH (counted against its site's rate limits), its answer.
Waiter = tuple[NewComment, tuple, "asyncio.Future[Accepted]"]


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
        # Batches using the database, with the time each started; a flush leaves it once nothing
        # of its batch is left to store (before it writes its answers).
        self._flushes: dict[asyncio.Task, float] = {}
        self._tasks: set[asyncio.Task] = set()  # every flush not finished, for drain
        self._collecting = False  # a flush has started but not yet taken its batch
        self._recheck: asyncio.TimerHandle | None = None

    async def accept(self, new: NewComment) -> Accepted:
        """(comment id, created_at) once the comment and its job are committed; a retry with the
        same Idempotency-Key gets the original. Raises what `comments.accept` would raise."""
        future = asyncio.get_running_loop().create_future()
        # Made here, while the batch before it is in the database, not on the way there.
        self._waiting.append((new, comments.accept_row(new, new.limit), future))
        self._start_flush()
        self.in_progress += 1
        try:
            return await future  # cancelled with its request: the batch goes on without it
        finally:
            self.in_progress -= 1

    async def drain(self) -> None:
        """Waits until every comment handed in is stored or answered (on shutdown)."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

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
        self._tasks.add(task)
        task.add_done_callback(self._flush_done)  # also if cancelled before it ran

    def _recheck_slow(self) -> None:
        self._recheck = None
        self._start_flush()

    def _flush_done(self, task: asyncio.Task) -> None:
        self._flushes.pop(task, None)
        self._tasks.discard(task)

    def _out_of_database(self) -> None:
        """This flush has nothing left to store: the next batch may go while it answers its own."""
        current = asyncio.current_task()
        if current is not None and self._flushes.pop(current, None) is not None:
            self._start_flush()

    async def _flush(self) -> None:
        # Runs a turn of the event loop after it was started: the requests that arrived meanwhile
        # join this batch.
        self._collecting = False
        batch = [waiter for waiter in self._waiting[:self.max_batch] if not waiter[2].done()]
        del self._waiting[:self.max_batch]
        self._start_flush()  # more than one batch waiting
        try:
            if batch:
                await self._store(batch)
        finally:
            for _, _, future in batch:
                if not future.done():  # only if this task was cancelled: never leave a waiter
                    future.cancel()
            self._out_of_database()

    async def _store(self, batch: list[Waiter]) -> None:
        try:
            counted = any(new.limit is not None and new.limit.limits_anything
                          for new, _, _ in batch)
            rows = await self.pool.fetch(
                comments.ACCEPT_BATCH if counted else comments.ACCEPT_BATCH_UNCOUNTED,
                [row for _, row, _ in batch])
        except DATABASE_DOWN as exc:
            self._out_of_database()
            for _, _, future in batch:
                fail(future, exc)
            return
        except Exception:
            # One row the database refuses fails the whole statement: find it one by one, still
            # counted among the flushes (`_flush` lets the next batch go once they are stored).
            log.warning("a batch of %d comments failed; storing them one by one", len(batch),
                        exc_info=True)
            await self._store_one_by_one(batch, counted=False)  # its counts were rolled back
            return
        stored = {row["ordinal"]: (row["comment_id"], row["created_at"])
                  for row in rows if row["comment_id"] is not None}
        refused = {row["ordinal"]: row for row in rows if row["comment_id"] is None}
        answers: list[tuple[asyncio.Future, Accepted | BaseException]] = []
        left = []
        for ordinal, waiter in enumerate(batch, 1):
            new, _, future = waiter
            if ordinal in stored:
                answers.append((future, stored[ordinal]))
            elif ordinal in refused and refused[ordinal]["closed"]:
                answers.append((future, thread_closed()))
            elif ordinal in refused and new.limit is not None:
                row = refused[ordinal]
                answers.append((future, rate_limits.rate_limited(
                    "comment", "site" if row["site_wide"] else "address", new.limit,
                    row["left_s"])))
            else:
                left.append(waiter)
        if not left:
            self._out_of_database()  # first: the next batch is sent before these requests answer
        for future, result in answers:
            if isinstance(result, BaseException):
                fail(future, result)
            else:
                answer(future, result)
        if stored:
            self.on_committed()
        if left:  # counted by the batch already
            await self._store_one_by_one(left, counted=True)

    async def _store_one_by_one(self, batch: list[Waiter], counted: bool) -> None:
        """The single-row path: a retry's original, 409 for a reused key, 422 for an unknown
        parent, 429 past a rate limit, or the row's own database error."""
        await asyncio.gather(*(self._store_one(new, future, counted)
                               for new, _, future in batch if not future.done()))

    async def _store_one(self, new: NewComment, future: asyncio.Future, counted: bool) -> None:
        try:
            if not counted and new.limit is not None:
                await rate_limits.hit(self.pool, new.site_id, "comment", new.limit, new.ip_hash)
            answer(future, await comments.accept(self.pool, new, self.on_committed))
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
