"""Test fixtures: a real PostgreSQL (DATABASE_URL, else an embedded server in a temp folder),
migrated once per session; each test isolates itself with sites of its own."""

from __future__ import annotations

import asyncio
import email
import email.policy
import itertools
import os
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from email.message import EmailMessage

import pytest
from aiohttp.test_utils import TestClient, TestServer
from aiosmtpd.smtp import SMTP

from moderation.app import create_app
from moderation.clock import utcnow
from moderation.config import Config
from moderation.db import pool as database
from moderation.sites import store as sites
from moderation.web.server import LimitedAppRunner
from moderation.web.shared_answers import FRONT_CACHE, FrontCache
from tests.factories import NO_RATE_LIMITS

SECRET = "test-secret-key-0123456789"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    return database.embedded_url(tmp_path_factory.mktemp("pg"))


# Replies under each comment of a thread page in tests: small, so a test can fill it.
REPLIES_CAP = 20


def make_config(**overrides) -> Config:
    # The test client is 127.0.0.1: as behind a proxy, X-Forwarded-For names the reader.
    defaults = dict(secret_key=SECRET, workers=1, poll_interval_s=0.5, site_cache_s=0,
                    trusted_proxies="127.0.0.1",
                    pool_min_size=1, pool_max_size=5, retry_base_s=0.01, retry_max_s=0.05,
                    rating_cache_s=0, page_cache_s=0, replies_per_comment=REPLIES_CAP)
    return Config(**{**defaults, **overrides})


@pytest.fixture(scope="session")
async def pool(database_url):
    config = make_config()
    await database.migrate_database(database_url, config)
    pool = await database.create_pool(database_url, config, "test")
    yield pool
    try:
        await asyncio.wait_for(pool.close(), 10)
    except asyncio.TimeoutError:  # a test leaked a connection; do not hang the run
        pool.terminate()


_counter = itertools.count()


@pytest.fixture
async def empty_database(pool):
    """A database of its own on the same server (no migrations applied), dropped afterwards."""
    name = f"mig_{uuid.uuid4().hex[:12]}"
    await pool.execute(f'CREATE DATABASE "{name}"')
    yield name
    await pool.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


@pytest.fixture
async def new_site(pool) -> Callable[..., Awaitable[str]]:
    created: list[str] = []

    async def create(origins: list[str] | None = None, rate_limited: bool = False) -> str:
        """A site of its own; without rate limits unless asked (tests post from one address
        faster than any reader; tests/web/test_rate_limits.py tests the limits)."""
        slug = f"t{next(_counter)}-{uuid.uuid4().hex[:8]}"
        site = await sites.create_site(pool, slug, slug, origins or ["https://news.example"])
        if not rate_limited:
            await sites.save_settings(pool, slug, site.settings.model_copy(
                update={"rate_limits": NO_RATE_LIMITS}))
        created.append(slug)
        return slug
    yield create
    # The queue is shared by every site: jobs a test leaves behind would be claimed by the next
    # test's worker and counted there.
    await pool.execute("DELETE FROM jobs WHERE site_id = ANY($1)", created)


@pytest.fixture
async def site(new_site) -> str:
    return await new_site()


@pytest.fixture
async def make_client(database_url, pool):
    """Starts the real app (with its own workers) on a local port; closed after the test."""
    clients: list[TestClient] = []

    async def start(clock: Callable[[], datetime] = utcnow, **config) -> TestClient:
        app = create_app(make_config(**config), clock=clock, database_url=database_url)
        client = TestClient(TestServer(app))
        await client.start_server()
        clients.append(client)
        return client

    yield start
    for client in clients:
        await client.close()


@pytest.fixture
async def client(make_client) -> TestClient:
    return await make_client()


async def wait_for(check: Callable[[], Awaitable[object]], timeout: float = 10.0):
    """Polls an async check until it returns something truthy; fails after timeout."""
    async with asyncio.timeout(timeout):
        while True:
            result = await check()
            if result:
                return result
            await asyncio.sleep(0.02)


class ServedLikeServe(TestServer):
    """The app behind LimitedAppRunner, as `moderation serve` runs it."""

    async def _make_runner(self, **kwargs):
        return LimitedAppRunner(self.app, **kwargs)


@pytest.fixture
async def serve_with_clock(database_url):
    """A client of the app as served, with shared answers for 1 s on a clock the test moves."""
    now = [0.0]
    app = create_app(make_config(workers=0, rating_cache_s=1, page_cache_s=1),
                     database_url=database_url)
    app[FRONT_CACHE] = FrontCache(clock=lambda: now[0])
    client = TestClient(ServedLikeServe(app))
    await client.start_server()
    yield client, now
    await client.close()


# A real SMTP server (aiosmtpd) on the tests' event loop, keeping the messages it receives.
class Inbox:
    """aiosmtpd's handler: stores each message; `refuse` answers that many recipients with a
    temporary failure first (a server that is busy)."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refuse = 0
        self.url = ""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse > 0:
            self.refuse -= 1
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


@pytest.fixture
async def inbox():
    inbox = Inbox()
    server = await asyncio.get_running_loop().create_server(
        lambda: SMTP(inbox, hostname="mail.test"), "127.0.0.1", 0)
    inbox.url = f"smtp://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    yield inbox
    server.close()
    await server.wait_closed()
