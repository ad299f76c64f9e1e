"""Rule workers: claim a batch of jobs, judge the items, apply decisions; woken by NOTIFY."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections import defaultdict
from dataclasses import replace
from collections.abc import Callable
from datetime import datetime

import asyncpg

from moderation import queue, review
from moderation.errors import DATABASE_DOWN
from moderation.item_kinds import ITEM_KINDS
from moderation.observability import Metrics
from moderation.pipeline import Judgement, judge_batch
from moderation.site_views import SiteViews

log = logging.getLogger(__name__)


def worker_name(index: int) -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{index}"


def audit_reason(judgement: Judgement) -> str:
    return "; ".join(f"{v.rule}: {v.reason}" for v in judgement.verdicts if v.action != "allow")


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
            if done == 0 and not self._stopping:
                try:
                    await asyncio.wait_for(self.wake.wait(), self.config.poll_interval_s)
                except asyncio.TimeoutError:
                    pass

    async def run_once(self) -> int:
        """Claims and decides one batch; returns how many jobs it claimed."""
        async with self.pool.acquire() as conn:
            jobs = await queue.claim(conn, self.config.batch_size, self.name, self.config.lease_s)
            if jobs:
                await self.process(conn, jobs)
            return len(jobs)

    async def process(self, conn, jobs: list[asyncpg.Record]) -> None:
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

    async def decide(self, conn, jobs: list[asyncpg.Record]) -> None:
        items = []
        for kind, kind_jobs in group_by_kind(jobs).items():
            items += await ITEM_KINDS[kind].load(conn, kind_jobs)
        sites = await self.site_views.load(conn, {item.site_id for item in items})
        judgements = await judge_batch(conn, items, sites, self.clock())
        async with conn.transaction():
            owned = await queue.finish(conn, jobs)
            owned_items = {(j["site_id"], j["kind"], j["item_id"], j["item_version"])
                           for j in jobs if (j["site_id"], j["job_id"]) in owned}
            mine = [j for j in judgements if (*j.item.key, j.item.version) in owned_items]
            applied: list[Judgement] = []
            for kind, kind_judgements in group_judgements(mine).items():
                decided = await ITEM_KINDS[kind].apply(
                    conn, [(j.item, j.status) for j in kind_judgements])
                stored = {(item.key, item.version): status for item, status in decided}
                applied += [replace(j, status=stored[(j.item.key, j.item.version)])
                            for j in kind_judgements if (j.item.key, j.item.version) in stored]
            await record(conn, applied, actor="rules")
            await prioritize(conn, applied)
        self.metrics.jobs.labels("done").inc(len(owned))
        self.metrics.observe_judgements(applied)


def group_by_kind(jobs: list[asyncpg.Record]) -> dict[str, list[asyncpg.Record]]:
    groups: dict[str, list[asyncpg.Record]] = defaultdict(list)
    for job in jobs:
        groups[job["kind"]].append(job)
    return groups


def group_judgements(judgements: list[Judgement]) -> dict[str, list[Judgement]]:
    groups: dict[str, list[Judgement]] = defaultdict(list)
    for judgement in judgements:
        groups[judgement.item.kind].append(judgement)
    return groups


async def record(conn, applied: list[Judgement], actor: str) -> None:
    """Stores every verdict of the applied decisions and one audit row each."""
    if not applied:
        return
    # An allow without a score says nothing the absence of a row does not: not stored, which
    # keeps a decision to a few verdict rows instead of one per rule.
    verdicts = [(j.item, v) for j in applied for v in j.verdicts
                if v.action != "allow" or v.score]
    await conn.execute(
        queue.INSERT_VERDICTS, [i.site_id for i, _ in verdicts], [i.kind for i, _ in verdicts],
        [i.item_id for i, _ in verdicts], [i.version for i, _ in verdicts],
        [v.rule for _, v in verdicts], [v.action for _, v in verdicts],
        [v.score for _, v in verdicts], [v.reason for _, v in verdicts],
        [dict(v.details) if v.details else None for _, v in verdicts])
    await conn.execute(
        queue.INSERT_AUDIT, [j.item.site_id for j in applied], [j.item.kind for j in applied],
        [j.item.item_id for j in applied], [j.status for j in applied], actor, "pending",
        [audit_reason(j) for j in applied])


async def prioritize(conn, applied: list[Judgement]) -> None:
    """Held items get a review priority: how sure the rules that held them were (docs/moderation.md)."""
    scores: dict[tuple[str, str], dict[int, float]] = defaultdict(dict)
    for judgement in applied:
        if judgement.status == "held":
            item = judgement.item
            scores[(item.kind, item.site_id)][item.item_id] = sum(
                v.score for v in judgement.verdicts if v.action != "allow")
    for (kind, site_id), by_item in scores.items():
        await review.set_priorities(conn, kind, site_id, by_item)


class JobListener:
    """A dedicated LISTEN connection that wakes the workers; it reconnects when the database returns.

    NOTIFY is only a hint: the workers' poll is what guarantees progress.
    """

    def __init__(self, url: str, config, workers: list[Worker]) -> None:
        self.url = url
        self.config = config
        self.workers = workers
        self.connected = asyncio.Event()
        self._lost = asyncio.Event()

    def wake_all(self, *_args) -> None:
        for worker in self.workers:
            worker.wake.set()

    async def run(self) -> None:
        from moderation.database import connect

        delay = 0.1
        while True:
            try:
                conn = await connect(self.url, self.config)
            except Exception as exc:  # down, starting up, or a broken handshake: retry, never die
                log.warning("job listener cannot connect (%s); retrying in %.1fs", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            delay = 0.1
            self._lost.clear()
            conn.add_termination_listener(lambda _conn: self._lost.set())
            try:
                await conn.add_listener(queue.CHANNEL, self.wake_all)
                self.connected.set()
                self.wake_all()  # whatever arrived while we were not listening
                await self._lost.wait()
                log.warning("job listener lost its connection; reconnecting")
            except Exception as exc:
                log.warning("job listener failed (%s); reconnecting", exc)
            finally:
                self.connected.clear()
                if not conn.is_closed():
                    try:
                        await conn.close(timeout=1)
                    except Exception:
                        conn.terminate()


class Notifier:
    """Tells workers about new jobs: at once in this process, by one NOTIFY for the others.

    Pokes are folded together: at most one NOTIFY per `min_interval_s`, so a burst of comments
    costs a few NOTIFYs (each takes a global lock at commit) rather than one each. Workers in
    this process are woken at once, without waiting for it.
    """

    def __init__(self, pool: asyncpg.Pool, local_workers: list[Worker],
                 min_interval_s: float = 0.01) -> None:
        self.pool = pool
        self.local_workers = local_workers
        self.min_interval_s = min_interval_s
        self._pending = asyncio.Event()

    def poke(self) -> None:
        for worker in self.local_workers:
            worker.wake.set()
        self._pending.set()

    async def run(self) -> None:
        while True:
            await self._pending.wait()
            self._pending.clear()
            try:
                async with self.pool.acquire() as conn:
                    await queue.notify(conn)
            except DATABASE_DOWN as exc:
                log.warning("could not NOTIFY workers (%s); they will poll", exc)
                await asyncio.sleep(0.5)
            except Exception:  # never let the NOTIFY sender die: no worker elsewhere would wake
                log.exception("could not NOTIFY workers; they will poll")
                await asyncio.sleep(0.5)
            await asyncio.sleep(self.min_interval_s)
