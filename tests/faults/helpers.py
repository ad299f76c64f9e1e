"""Fault-test helpers: a private embedded PostgreSQL that can be stopped and started, real
`moderation serve|worker` processes, and polling with a deadline (never sleep-and-hope)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import aiohttp
import asyncpg

from moderation.db import pool as database
from tests.helpers import pg_ctl

ROOT = Path(__file__).resolve().parents[2]
SECRET = "fault-test-secret-0123456789"

# 2,000-style backlog: comments and their jobs; the jobs become claimable in comment order
# (available_at a millisecond apart), so a worker works through them predictably.
BULK_COMMENTS = """
WITH t AS (INSERT INTO threads (site_id, thread) VALUES ($1, 'bulk') ON CONFLICT DO NOTHING),
m AS (INSERT INTO commenters (site_id, commenter, name) VALUES ($1, 'anon:bulk', 'Bulk')
      ON CONFLICT DO NOTHING),
c AS (INSERT INTO comments (site_id, thread, commenter, author_name, body)
      SELECT $1, 'bulk', 'anon:bulk', 'Bulk', 'bulk comment number ' || n
        FROM generate_series(1, $2) n
      RETURNING site_id, comment_id, version)
INSERT INTO jobs (site_id, kind, item_id, item_version, available_at)
SELECT site_id, 'comment', comment_id, version,
       now() - interval '1 hour' + comment_id * interval '1 millisecond' FROM c"""

# Per comment of the site: its status, how many rule decisions the audit holds, its job if any.
ITEM_STATE = """
SELECT c.comment_id, c.status,
       (SELECT count(*) FROM audit a WHERE a.site_id = c.site_id AND a.kind = 'comment'
           AND a.item_id = c.comment_id AND a.action = 'decide') AS decisions,
       (SELECT j.status FROM jobs j WHERE j.site_id = c.site_id AND j.kind = 'comment'
           AND j.item_id = c.comment_id) AS job
  FROM comments c WHERE c.site_id = $1 ORDER BY c.comment_id"""

# Backends other than ours that wait for a lock (a worker or handler frozen mid-transaction).
LOCK_WAITERS = """
SELECT count(*) FROM pg_stat_activity
 WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid()"""

LISTENERS = """
SELECT count(*) FROM pg_stat_activity
 WHERE query ILIKE 'LISTEN%' AND pid <> pg_backend_pid() AND state IS NOT NULL"""


# ---------------------------------------------------------------- the embedded server

class EmbeddedPostgres:
    """This test's own PostgreSQL (data under tmp_path), so stopping it disturbs no one else."""

    def __init__(self, data_dir: Path) -> None:
        self.url = database.embedded_url(data_dir)
        self.key = (data_dir / "pg").resolve()
        self.server = database._embedded_servers[self.key]

    async def stop(self) -> None:
        await asyncio.to_thread(pg_ctl, self.server, "stop")

    async def start(self) -> None:
        await asyncio.to_thread(pg_ctl, self.server, "start")
        await wait_until(self.accepts_connections, timeout=30, what="PostgreSQL to accept connections")

    async def accepts_connections(self) -> bool:
        try:
            conn = await asyncpg.connect(self.url, timeout=2)
        except (OSError, asyncpg.PostgresError, asyncio.TimeoutError):
            return False
        await conn.close()
        return True

    def close(self) -> None:
        try:
            self.server.cleanup()
        except Exception:  # already stopped by a failed test: nothing left to do
            pass
        database._embedded_servers.pop(self.key, None)


# ---------------------------------------------------------------- processes

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Process:
    """A `moderation serve|worker` child; its stderr goes to a file shown when a test fails."""

    def __init__(self, command: str, url: str, log_path: Path, **env) -> None:
        self.command = command
        self.url = url
        self.log_path = log_path
        self.port = int(env.pop("PORT", 0)) or free_port()
        # `moderation worker` serves its health and metrics on WORKER_PORT: the same port here.
        self.env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": SECRET, "PORT": str(self.port),
                    "WORKER_PORT": str(self.port),
                    "LOG_LEVEL": "WARNING", "DEMO_SITE": "false", "HOST": "127.0.0.1",
                    **{k.upper(): str(v) for k, v in env.items()}}
        self.proc: asyncio.subprocess.Process | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> Process:
        self._log = open(self.log_path, "ab")
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "moderation", self.command, env=self.env, cwd=ROOT,
            stdin=asyncio.subprocess.DEVNULL, stdout=self._log, stderr=self._log)
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def signal(self, sig: int) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    async def wait(self, timeout: float) -> int:
        assert self.proc is not None
        return await asyncio.wait_for(self.proc.wait(), timeout)

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    async def wait_http_ready(self, timeout: float = 60) -> None:
        async def healthy() -> bool:
            if not self.running:
                raise AssertionError(f"{self.command} exited early:\n{self.log()}")
            try:
                async with aiohttp.ClientSession() as session:
                    async with session.get(f"{self.base}/healthz",
                                           timeout=aiohttp.ClientTimeout(total=2)) as response:
                        return response.status == 200
            except (aiohttp.ClientError, asyncio.TimeoutError):
                return False
        await wait_until(healthy, timeout=timeout, what=f"{self.command} to answer /healthz")

    async def port_closed(self) -> bool:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", self.port)
        except OSError:
            return True
        writer.close()
        return False

    async def kill(self) -> None:
        """Teardown: SIGKILL whatever is left of the child (only our own process, by its pid)."""
        if self.proc is not None and self.proc.returncode is None:
            self.proc.send_signal(signal.SIGKILL)
            await self.proc.wait()
        if getattr(self, "_log", None):
            self._log.close()


# ---------------------------------------------------------------- polling and data

async def wait_until(check: Callable[[], Awaitable[object]], timeout: float, what: str = "a condition",
                     interval: float = 0.02):
    """Polls an async check until it returns something truthy; fails with `what` past timeout."""
    deadline = time.monotonic() + timeout
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(interval)


async def seed_backlog(conn, site: str, count: int) -> None:
    await conn.execute(BULK_COMMENTS, site, count)


async def item_states(conn, site: str) -> list[asyncpg.Record]:
    return await conn.fetch(ITEM_STATE, site)


async def decided_count(conn, site: str) -> int:
    return await conn.fetchval("SELECT count(*) FROM comments WHERE site_id = $1 "
                               "AND status NOT IN ('pending', 'deleted')", site)


@contextlib.asynccontextmanager
async def frozen(url: str, statement: str, *args) -> AsyncIterator[Callable[[], Awaitable[None]]]:
    """Holds the locks `statement` takes in an open transaction, so whoever needs them waits,
    until the function yielded lets go, or the block ends."""
    locker = await asyncpg.connect(url)
    freeze = locker.transaction()
    await freeze.start()
    await locker.execute(statement, *args)
    try:
        yield freeze.rollback
    finally:
        if locker.is_in_transaction():
            await freeze.rollback()
        await locker.close()


async def lock_waiters(conn) -> int:
    return await conn.fetchval(LOCK_WAITERS)


async def listeners(conn) -> int:
    return await conn.fetchval(LISTENERS)


def assert_each_decided_once_or_still_queued(states) -> tuple[int, int]:
    """No item lost, none decided twice: each is decided with exactly one audit decision and no
    job left, or still pending with its job in the queue and no decision. Returns the counts."""
    decided = pending = 0
    for row in states:
        if row["status"] == "pending":
            assert row["decisions"] == 0, dict(row)
            assert row["job"] in ("queued", "running"), f"pending item without a job (lost): {dict(row)}"
            pending += 1
        else:
            assert row["decisions"] == 1, f"decided {row['decisions']} times: {dict(row)}"
            assert row["job"] is None, dict(row)
            decided += 1
    return decided, pending


class diagnose:
    """On failure, appends the processes' logs to the assertion (tmp dirs do not outlive runs)."""

    def __init__(self, *processes: Process) -> None:
        self.processes = processes

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is AssertionError:
            logs = "\n".join(f"--- {p.command} (pid {p.pid}) log:\n{p.log()}" for p in self.processes
                             if p.proc is not None)
            raise AssertionError(f"{exc}\n{logs}") from exc
        return False
