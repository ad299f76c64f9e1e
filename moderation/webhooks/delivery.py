"""Sends webhook deliveries: claims due jobs of kind 'webhook', posts each signed, settles it.

A delivery is retried with backoff on a timeout, a refused address or any answer but 2xx
(redirects are not followed), and is dead after WEBHOOK_MAX_ATTEMPTS; an endpoint failing
WEBHOOK_PAUSE_AFTER times in a row is paused until an admin resumes it. Jobs are leased like
rule jobs: a sender that dies mid-send leaves its jobs to come back when the lease ends, so a
receiver may see a delivery twice and should dedupe by X-Moderation-Delivery.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from collections.abc import Awaitable, Callable

import aiohttp
import asyncpg
from aiohttp import web
from yarl import URL

from moderation.db.listen import listen_forever, wait_until_woken
from moderation.errors import DATABASE_DOWN
from moderation.observability import METRICS, Metrics
from moderation.web.keys import CONFIG, DIRECT_DATABASE_URL, POOL
from moderation.webhooks import store
from moderation.webhooks.addresses import (
    AddressRefused,
    AllowedHosts,
    GuardedResolver,
    url_refusal,
)
from moderation.webhooks.signing import signature_header
from moderation.webhooks.store import Attempt

log = logging.getLogger(__name__)

USER_AGENT = "moderation-webhooks/1"
# Deliveries one sender has in flight at once.
BATCH = 20


def sender_session(config) -> aiohttp.ClientSession:
    """The HTTP client of webhook deliveries: addresses guarded, WEBHOOK_TIMEOUT_S in all, no
    cookies kept between endpoints."""
    allowed = AllowedHosts.parse(config.webhook_allowed_hosts)
    connector = aiohttp.TCPConnector(resolver=GuardedResolver(allowed), limit=BATCH,
                                     use_dns_cache=False)
    return aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar(),
                                 timeout=aiohttp.ClientTimeout(total=config.webhook_timeout_s),
                                 headers={"User-Agent": USER_AGENT})


class Sender:
    def __init__(self, pool: asyncpg.Pool, session: aiohttp.ClientSession, config,
                 name: str | None = None, metrics: Metrics | None = None) -> None:
        self.pool = pool
        self.session = session
        self.config = config
        self.metrics = metrics or Metrics()
        self.allowed = AllowedHosts.parse(config.webhook_allowed_hosts)
        self.name = name or f"webhooks:{socket.gethostname()}:{os.getpid()}"
        # Long enough for the slowest answer and its settling; then the job comes back.
        self.lease_s = config.webhook_timeout_s * 2 + 10
        self.wake = asyncio.Event()
        # Set while the LISTEN connection of run_woken is up.
        self.listening = asyncio.Event()

    async def run_woken(self, connect: Callable[[], Awaitable[asyncpg.Connection]]) -> None:
        """run(), woken by a LISTEN connection of its own (made by `connect`) on store.CHANNEL."""
        listener = asyncio.create_task(listen_forever(
            connect, {store.CHANNEL: self.on_notify}, self.listening, "webhook listener",
            on_connected=self.on_notify))  # for what was queued while it was away
        try:
            await self.run()
        finally:
            listener.cancel()
            await asyncio.gather(listener, return_exceptions=True)

    def on_notify(self, *_args: object) -> None:
        """A NOTIFY on store.CHANNEL (a delivery was queued), or the listener (re)connected."""
        self.wake.set()

    async def run(self) -> None:
        """Sends until cancelled. With nothing due it waits to be woken (on_notify), for the next
        retry to come due, or WEBHOOK_POLL_INTERVAL_S, whichever comes first."""
        while True:
            self.wake.clear()  # what is queued from here on wakes the wait below
            try:
                sent = await self.run_once()
                idle_s = None if sent == BATCH else await self.seconds_until_due()
            except DATABASE_DOWN as exc:
                log.warning("webhook sender: database unavailable (%s); retrying", exc)
                idle_s = self.config.poll_interval_s
            except Exception:  # the loop must survive anything, or webhooks stop for good
                log.exception("webhook sender: unexpected error; retrying")
                idle_s = self.config.poll_interval_s
            if idle_s is not None:
                await wait_until_woken(self.wake, idle_s)

    async def seconds_until_due(self) -> float:
        async with self.pool.acquire() as conn:
            due_in = await store.seconds_until_due(conn)
        poll_s = self.config.webhook_poll_interval_s
        return poll_s if due_in is None else min(max(due_in, 0.0), poll_s)

    async def run_once(self) -> int:
        """Claims, sends and settles one batch; returns how many jobs it claimed."""
        async with self.pool.acquire() as conn:
            jobs = await store.claim(conn, BATCH, self.name, self.lease_s)
        await asyncio.gather(*(self.deliver(job) for job in jobs))
        return len(jobs)

    async def deliver(self, job: asyncpg.Record) -> str:
        if job["url"] is None or job["paused"]:
            async with self.pool.acquire() as conn:
                await store.set_aside(conn, job)
            return "set aside"
        attempt = await self.attempt(job)
        async with self.pool.acquire() as conn:
            outcome = await store.settle(conn, job, attempt, self.config)
        self.metrics.webhook_attempts.labels(
            outcome, f"{attempt.status // 100}xx" if attempt.status else "none").inc()
        if outcome != "delivered":
            log.info("webhook delivery %s to %s: %s (%s)", job["delivery_id"], job["url"],
                     outcome, attempt.error or attempt.status)
        return outcome

    async def attempt(self, job: asyncpg.Record) -> Attempt:
        refusal = url_refusal(job["url"], self.allowed)
        if refusal is not None:
            return Attempt(None, 0, f"refused: {refusal}")
        body = job["body"].encode()
        headers = {"Content-Type": "application/json",
                   "X-Moderation-Event": job["event"],
                   "X-Moderation-Delivery": str(job["delivery_id"]),
                   "X-Moderation-Signature": signature_header(list(job["secrets"]),
                                                              int(time.time()), body)}
        started = time.perf_counter()
        try:
            async with self.session.post(URL(job["url"], encoded=False), data=body,
                                         headers=headers, allow_redirects=False) as response:
                # Only the status counts; a little of the body is read so the connection is reusable.
                await response.content.read(4096)
                return Attempt(response.status, _ms_since(started))
        except asyncio.TimeoutError:
            return Attempt(None, _ms_since(started),
                           f"timeout after {self.config.webhook_timeout_s:g} s")
        except aiohttp.ClientConnectorError as exc:
            if isinstance(exc.os_error, AddressRefused):
                return Attempt(None, _ms_since(started), f"refused: {exc.os_error}")
            return Attempt(None, _ms_since(started), f"{type(exc).__name__}: {exc}")
        except aiohttp.ClientError as exc:
            return Attempt(None, _ms_since(started), f"{type(exc).__name__}: {exc}")
        except OSError as exc:
            return Attempt(None, _ms_since(started), f"{type(exc).__name__}: {exc}")


async def senders_ctx(app: web.Application):
    """The webhook sender of a process that runs workers (`serve` with WORKERS > 0, `worker`),
    with its LISTEN connection."""
    from moderation.db.pool import connect

    config = app[CONFIG]
    if not config.workers:
        yield
        return
    async with sender_session(config) as session:
        sender = Sender(app[POOL], session, config, metrics=app[METRICS])
        task = asyncio.create_task(sender.run_woken(
            lambda: connect(app[DIRECT_DATABASE_URL], config, "listener")), name="webhooks")
        yield
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


def _ms_since(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)
