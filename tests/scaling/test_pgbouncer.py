"""The service through a real PgBouncer in transaction pooling mode: requests and workers over
the pooler (no prepared statement outlives its transaction), LISTEN on PostgreSQL itself."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp.test_utils import TestClient, TestServer

from moderation.app import create_app
from moderation.config import ConfigError, load_config
from moderation.live.handlers import THREAD_EVENTS
from moderation.web.keys import LISTENER
from tests.conftest import make_config, wait_for
from tests.factories import post_comment
from tests.live.test_thread_events import next_event
from tests.scaling.servers import PGBOUNCER, PgBouncer

pytestmark = pytest.mark.skipif(
    not __import__("os").path.exists(PGBOUNCER),
    reason="pgbouncer is missing: run 'make system' as root once")


@pytest.fixture
async def bouncer(database_url, pool):
    bouncer = PgBouncer(database_url, pool_size=3)
    await bouncer.start()
    yield bouncer
    await bouncer.stop()


@pytest.fixture
async def bounced_client(bouncer, database_url):
    """The app with DATABASE_URL at PgBouncer and DATABASE_DIRECT_URL at PostgreSQL."""
    app = create_app(make_config(database_url=bouncer.url, database_direct_url=database_url,
                                 database_pool_mode="transaction", workers=2,
                                 pool_min_size=2, pool_max_size=8))
    client = TestClient(TestServer(app))
    await client.start_server()
    yield client
    await client.close()


async def transactions_through(bouncer: PgBouncer, database: str) -> int:
    stats = {row["database"]: row for row in await bouncer.show("STATS")}
    return int(stats[database]["total_xact_count"]) if database in stats else 0


async def test_comments_are_posted_decided_and_read_through_pgbouncer(bouncer, bounced_client,
                                                                       site):
    client = bounced_client
    events = client.app[THREAD_EVENTS]
    await wait_for(lambda: asyncio.sleep(0, events.connected.is_set()))
    await wait_for(lambda: asyncio.sleep(0, client.app[LISTENER].connected.is_set()))
    before = await transactions_through(bouncer, bouncer.server.database)
    stream = await client.get(f"/v1/sites/{site}/threads/bounced/events")
    assert stream.status == 200

    # More comments at once than PgBouncer has server connections: the client connections'
    # statements interleave on them, which named prepared statements would not survive.
    posted = await asyncio.gather(*(
        post_comment(client, site, thread="bounced", text=f"Measured and calm remark {i}.")
        for i in range(24)))
    published = await next_event(stream)
    assert published["event"] == "comment.published"
    assert published["data"]["id"] in {comment["id"] for comment in posted}

    async def all_shown():
        page = await (await client.get(f"/v1/sites/{site}/threads/bounced/comments",
                                       params={"limit": 50})).json()
        return page if page["total"] == len(posted) else None
    page = await wait_for(all_shown, timeout=30)
    assert {item["id"] for item in page["items"]} == {comment["id"] for comment in posted}
    counts = await (await client.get(f"/v1/sites/{site}/counts",
                                     params={"thread": "bounced"})).json()
    assert counts == {"counts": {"bounced": len(posted)}}
    own = await client.get(f"/v1/sites/{site}/comments/{posted[0]['id']}",
                           headers={"X-Edit-Token": posted[0]["edit_token"]})
    assert (await own.json())["status"] == "approved"
    stream.close()
    # All of it went through the pooler, not around it.
    assert await transactions_through(bouncer, bouncer.server.database) > before + len(posted)


def test_transaction_pooling_without_a_direct_url_stops_at_start(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://app@127.0.0.1:6432/moderation")
    monkeypatch.setenv("DATABASE_POOL_MODE", "transaction")
    with pytest.raises(ConfigError, match="DATABASE_POOL_MODE: .*DATABASE_DIRECT_URL"):
        load_config()
