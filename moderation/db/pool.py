"""Connecting to PostgreSQL: the configured server, or the embedded one in DATA_DIR."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import asyncpg
import orjson
from asyncpg.pool import PoolConnectionProxy

log = logging.getLogger(__name__)

# What queries run on: a connection of its own, or one lent by a pool.
Connection = asyncpg.Connection | PoolConnectionProxy
# What a single statement runs on: a connection, or a pool that lends one for that statement.
ConnectionOrPool = Connection | asyncpg.Pool

# Keeps the embedded server's handle alive for the life of the process.
_embedded_servers: dict[Path, Any] = {}


def embedded_url(data_dir: Path) -> str:
    """Starts (or joins) the embedded PostgreSQL whose data lives in data_dir/pg."""
    import warnings

    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset and falls back to /tmp, which is fine.
        warnings.simplefilter("ignore")
        import pgserver

    pgdata = (data_dir / "pg").resolve()
    server: Any = _embedded_servers.get(pgdata)
    if server is None:
        pgdata.mkdir(parents=True, exist_ok=True)
        server = pgserver.get_server(pgdata, cleanup_mode="stop")
        _embedded_servers[pgdata] = server
    return server.get_uri()


def stop_embedded() -> None:
    """Stops every embedded PostgreSQL this process started (benchmarks, at their end)."""
    server: Any
    for server in list(_embedded_servers.values()):
        server.cleanup()
    _embedded_servers.clear()


def database_url(config) -> str:
    return config.database_url or embedded_url(config.data_dir)


def direct_url(config, url: str) -> str:
    """PostgreSQL itself, for what needs a session: LISTEN, migrations, advisory locks."""
    return config.database_direct_url or url


def through_pooler(config, url: str) -> bool:
    """Whether `url` is a transaction pooler, where a server connection serves one transaction."""
    return config.database_pool_mode == "transaction" and url != direct_url(config, url)


async def init_connection(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec("jsonb", encoder=lambda v: orjson.dumps(v).decode(),
                              decoder=orjson.loads, schema="pg_catalog")


async def keep_session(conn: asyncpg.Connection) -> None:
    """Pool connections never LISTEN, lock or SET, so the reset round trip on release is skipped."""


def session_settings(role: str) -> dict[str, str]:
    """Named connections: pg_stat_activity shows which process (and what for) holds each one."""
    return {"application_name": f"moderation {role}"}


# How long a worker connection keeps a prepared statement, and so its cached plan: `jobs` swings
# from empty to a backlog within seconds, and a generic plan made while it was empty scans all of
# it later (docs/decisions/0003-worker-plans-renewed-every-second.md).
WORKER_STATEMENT_LIFETIME_S = 1


class TimedPool(asyncpg.Pool):
    """A pool whose acquire waits at most `acquire_timeout` when not told otherwise, so that
    under pressure a request gets 503 after DB_TIMEOUT_S (asyncio.TimeoutError, moderation.errors)
    instead of queueing without limit. `fetch`, `execute` and the rest acquire through it too."""

    def __init__(self, *args, acquire_timeout: float, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.acquire_timeout = acquire_timeout

    def acquire(self, *, timeout: float | None = None):
        return super().acquire(timeout=self.acquire_timeout if timeout is None else timeout)


async def create_pool(url: str, config, role: str) -> asyncpg.Pool:
    min_size, max_size = config.pool_min_size, config.pool_max_size
    if role == "worker":  # each rule worker holds one connection for its batch, and no more
        max_size = max(1, config.workers)
        min_size = min(min_size, max_size)
    elif role == "replica":  # opened on first use: a replica that is down does not stop a start
        min_size = 0
    elif role == "cleanup":  # moderation.queue.cleanup beside the workers of `worker`
        min_size, max_size = 0, 1
    # Behind a transaction pooler a named prepared statement would be looked for on another
    # server connection: asyncpg then parses each statement anew in the same round trip.
    cache_size = 0 if through_pooler(config, url) else 100
    # What asyncpg.create_pool does, with our pool class.
    pool = TimedPool(
        url, acquire_timeout=config.db_timeout_s, min_size=min_size, max_size=max_size,
        max_queries=50_000, max_inactive_connection_lifetime=300.0, loop=None,
        connection_class=asyncpg.Connection, record_class=asyncpg.Record,
        timeout=config.db_timeout_s, command_timeout=max(config.db_timeout_s, 30),
        init=init_connection, reset=keep_session, server_settings=session_settings(role),
        statement_cache_size=cache_size,
        max_cached_statement_lifetime=WORKER_STATEMENT_LIFETIME_S if role == "worker" else 300)
    return await pool


async def connect(url: str, config, role: str = "cli") -> asyncpg.Connection:
    conn = await asyncpg.connect(url, timeout=config.db_timeout_s,
                                 server_settings=session_settings(role),
                                 statement_cache_size=0 if through_pooler(config, url) else 100)
    await init_connection(conn)
    return conn


async def migrate_database(url: str, config):
    """Applies pending migrations over a short-lived connection; returns what it applied."""
    from moderation.db.migrations import migrate

    conn = await connect(url, config, "migrate")
    try:
        return await migrate(conn)
    finally:
        await conn.close()
