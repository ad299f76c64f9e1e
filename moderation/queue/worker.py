"""Rule workers: claim a batch of jobs, judge the items, apply decisions; woken by NOTIFY."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import datetime

import asyncpg

from moderation.config import Config
from moderation.db.listen import listen_forever, wait_until_woken
from moderation.db.pool import Connection
from moderation.errors import DATABASE_DOWN
from moderation.judging.pipeline import judge_batch
from moderation.judging.site_views import SiteViews
from moderation.mail import store as mail
from moderation.observability import Metrics
from moderation.queue import jobs as queue
from moderation.queue import kinds

log = logging.getLogger(__name__)


def worker_name(index: int) -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{index}"


class Worker:
    def __init__(self, pool: asyncpg.Pool, config, clock: Callable[[], datetime], name: str,
                 site_views: SiteViews | None = None, metrics: Metrics | None = None) -> None:
        self.pool = pool
        self.config = config
        self.clock = clock
        self.name = name
        self.site_views = site_views or SiteViews()
        self.metrics = metrics or Metrics()
        self.wake = asyncio.Event()
        # Waiting for work: the worker that wake_one() picks first.
        self.idle = False
        self._stopping = False

    def stop(self) -> None:
        self._stopping = True
        self.wake.set()

    async def run(self) -> None:
        """Works until stopped; a batch in progress is finished first."""
        failures = 0
        while not self._stopping:
            self.wake.clear()
            try:
                done = await self.run_once()
                failures = 0
            except DATABASE_DOWN as exc:
                failures += 1
                log.warning("worker %s: database unavailable (%s); retrying", self.name, exc)
                await asyncio.sleep(min(5.0, 0.1 * 2 ** failures))
                continue
            except Exception:
                # E.g. asyncpg's InternalClientError on a connection the server dropped while
                # shutting down: the loop must survive it, or this worker stops for good.
                failures += 1
                log.exception("worker %s: unexpected error; retrying", self.name)
                await asyncio.sleep(min(5.0, 0.1 * 2 ** failures))
                continue
            # After a batch that was not full, whatever came in meanwhile has been notified: to
            # this worker (its flag is set and the wait ends at once) or to an idle one. Waiting
            # for that lets the comments of a NOTIFY interval gather into one batch
            # (docs/decisions/0006).
            if done < self.config.batch_size and not self._stopping:
                self.idle = True
                try:
                    await wait_until_woken(self.wake, self.config.poll_interval_s)
                finally:
                    self.idle = False

    async def run_once(self) -> int:
        """Claims and decides one batch; returns how many jobs it claimed. Round trips: the
        claim (with the items and their sites' versions), the facts, the decisions."""
        async with self.pool.acquire() as conn:
            jobs = await kinds.claim(conn, self.config.batch_size, self.name, self.config.lease_s)
            if jobs:
                await self.process(conn, jobs)
            return len(jobs)

    async def process(self, conn: Connection, jobs: list[asyncpg.Record]) -> None:
        try:
            await self.decide(conn, jobs)
        except DATABASE_DOWN:
            raise  # leases expire and the jobs come back by themselves
        except Exception as exc:
            if len(jobs) == 1:
                status = await queue.fail(conn, jobs[0], f"{type(exc).__name__}: {exc}",
                                          self.config.max_attempts, self.config.retry_base_s,
                                          self.config.retry_max_s)
                self.metrics.jobs.labels("dead" if status == "dead" else "retry").inc()
                log.exception("job %s failed (now %s)", jobs[0]["job_id"], status)
                return
            # One bad item must not hold back the others: try each on its own.
            for job in jobs:
                await self.process(conn, [job])

    async def decide(self, conn: Connection, claimed: list[asyncpg.Record]) -> None:
        """Judges the claimed jobs' items and decides them: per batch, a statement for the
        comments' facts (and one for the ratings'), then each kind's decisions (one statement
        for comments, one transaction for ratings: ItemKind.apply_rules in moderation.queue.kinds)."""
        judged_jobs = [(job, item) for job in claimed if (item := queue.item_of(job)) is not None]
        sites = await self.site_views.of_claimed(conn, claimed)
        judgements = await judge_batch(conn, [item for _, item in judged_jobs], sites,
                                       self.clock())
        judged = {job["job_id"]: judgement
                  for (job, _), judgement in zip(judged_jobs, judgements)}
        for kind, jobs in group_by_kind(claimed).items():
            if kind in DELIVER:
                self.metrics.jobs.labels("done").inc(await DELIVER[kind](conn, jobs, self.config))
                continue
            done, applied = await kinds.KINDS[kind].apply_rules(
                conn, jobs, {job["job_id"]: judged[job["job_id"]] for job in jobs
                             if job["job_id"] in judged})
            # Counted per kind: each kind commits on its own, so a later one failing leaves
            # these done.
            self.metrics.jobs.labels("done").inc(done)
            self.metrics.observe_judgements(applied)


# Kinds of jobs that are work to do rather than items to judge: (claimed jobs, configuration) ->
# jobs finished. Each finishes or fails its own jobs (moderation.mail.store.deliver).
Deliver = Callable[[Connection, list[asyncpg.Record], Config], Awaitable[int]]
DELIVER: dict[str, Deliver] = {"email": mail.deliver}


def group_by_kind(jobs: list[asyncpg.Record]) -> dict[str, list[asyncpg.Record]]:
    groups: dict[str, list[asyncpg.Record]] = defaultdict(list)
    for job in jobs:
        groups[job["kind"]].append(job)
    return groups


def wake_one(workers: list[Worker]) -> None:
    """New jobs: one claim finds them all, so one worker is woken, an idle one if there is one
    (the others' claims would find nothing). With none idle, one busy worker is told to claim
    again when its batch is done."""
    for candidates in ([w for w in workers if w.idle], workers):
        for worker in candidates:
            if not worker.wake.is_set():
                worker.wake.set()
                return


class JobListener:
    """A dedicated LISTEN connection that wakes the workers; it reconnects when the database returns.

    NOTIFY is only a hint: the workers' poll is what guarantees progress.
    """

    def __init__(self, url: str, config, workers: list[Worker], own_sender: str | None = None) -> None:
        self.url = url
        self.config = config
        self.workers = workers
        # The Notifier of this same process, if any: it has woken these workers itself already.
        self.own_sender = own_sender
        self.connected = asyncio.Event()

    def wake_all(self) -> None:
        for worker in self.workers:
            worker.wake.set()

    def on_notify(self, _conn: object, _pid: int, _channel: str, sender: object) -> None:
        if sender != self.own_sender:
            wake_one(self.workers)

    async def run(self) -> None:
        from moderation.db.pool import connect

        await listen_forever(lambda: connect(self.url, self.config, "listener"),
                             {queue.CHANNEL: self.on_notify}, self.connected, "job listener",
                             on_connected=self.wake_all)  # whatever arrived while away


class Notifier:
    """Tells workers about new jobs: those of this process directly, the others by a NOTIFY.

    Pokes are folded together: a poke after a quiet spell is passed on at once, then at most one
    per `min_interval_s`, so a burst of comments costs a few NOTIFYs (each takes a global lock at
    commit) rather than one each, and a worker finds the comments of that interval in one claim
    (docs/decisions/0006). The NOTIFY carries this process's name, so its own listener does not
    wake a second worker for it.
    """

    def __init__(self, pool: asyncpg.Pool, local_workers: list[Worker],
                 min_interval_s: float = 0.01) -> None:
        self.pool = pool
        self.local_workers = local_workers
        self.min_interval_s = min_interval_s
        # Unique even where two containers share a host name and a pid (pid 1, host network).
        self.sender = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._pending = asyncio.Event()

    def poke(self) -> None:
        self._pending.set()

    async def run(self) -> None:
        while True:
            await self._pending.wait()
            self._pending.clear()
            wake_one(self.local_workers)
            try:
                async with self.pool.acquire() as conn:
                    await queue.notify(conn, self.sender)
            except DATABASE_DOWN as exc:
                log.warning("could not NOTIFY workers (%s); they will poll", exc)
                await asyncio.sleep(0.5)
            except Exception:  # never let the NOTIFY sender die: no worker elsewhere would wake
                log.exception("could not NOTIFY workers; they will poll")
                await asyncio.sleep(0.5)
            await asyncio.sleep(self.min_interval_s)
