"""Public reads on a real streaming replica: a primary and a replica made by pg_basebackup on
127.0.0.1; reads go to the replica, your own comment is read on the primary, the replica's lag
is a metric, and a lagging or dead replica hands reads back to the primary."""

from __future__ import annotations

import asyncio
import math

import asyncpg
import pytest
from aiohttp.test_utils import TestClient, TestServer

from moderation.app import create_app
from moderation.sites import store as sites
from moderation.web.keys import POOL
from tests.conftest import make_config, wait_for
from tests.factories import NO_RATE_LIMITS, post_comment
from tests.helpers import metric
from tests.scaling.servers import StreamingPair

MAX_LAG_S = 5.0


@pytest.fixture
async def pair():
    pair = StreamingPair()
    try:
        await asyncio.to_thread(pair.start_pair)
        yield pair
    finally:
        await asyncio.to_thread(pair.stop)


@pytest.fixture
async def replicated(pair):
    """The app on the primary with DATABASE_REPLICA_URL at the replica, and a site of its own."""
    app = create_app(make_config(database_replica_url=pair.replica_url,
                                 replica_max_lag_s=MAX_LAG_S, replica_check_s=0.1),
                     database_url=pair.primary_url)
    client = TestClient(TestServer(app))
    await client.start_server()
    site = await sites.create_site(app[POOL], "replicated", "Replicated", ["https://news.example"])
    await sites.save_settings(app[POOL], "replicated", site.settings.model_copy(
        update={"rate_limits": NO_RATE_LIMITS}))
    yield client
    await client.close()


async def metrics_of(client) -> str:
    return await (await client.get("/metrics")).text()


async def replica_in_use(client) -> bool:
    return metric(await metrics_of(client), "moderation_replica_in_use") == 1


async def page_total(client, thread: str = "replicated") -> int:
    response = await client.get(f"/v1/sites/replicated/threads/{thread}/comments")
    assert response.status == 200, await response.text()
    return (await response.json())["total"]


async def own_status(client, comment: dict) -> str:
    response = await client.get(f"/v1/sites/replicated/comments/{comment['id']}",
                                headers={"X-Edit-Token": comment["edit_token"]})
    assert response.status == 200
    return (await response.json())["status"]


async def on_replica(pair: StreamingPair, statement: str) -> None:
    conn = await asyncpg.connect(pair.replica_url)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


async def test_reads_go_to_the_replica_until_it_lags_or_dies(pair, replicated):
    client = replicated
    await wait_for(lambda: replica_in_use(client), timeout=20)

    first = await post_comment(client, "replicated", thread="replicated", text="First, calmly.")
    await wait_for(lambda: _equals(page_total(client), 1), timeout=20)
    text = await metrics_of(client)
    assert metric(text, "moderation_public_reads_total", database="replica") > 0
    assert metric(text, "moderation_public_reads_total", database="primary") == 0
    assert 0 <= metric(text, "moderation_replica_lag_seconds") < MAX_LAG_S
    counts = await (await client.get("/v1/sites/replicated/counts",
                                     params={"thread": "replicated"})).json()
    assert counts == {"counts": {"replicated": 1}}
    rating = await client.get("/v1/sites/replicated/authors/killian-jones/rating")
    assert rating.status == 200

    # The replica stops replaying: the public page it serves is behind, but the author of a new
    # comment reads it (edit token) on the primary, where it is already decided.
    await on_replica(pair, "SELECT pg_wal_replay_pause()")
    second = await post_comment(client, "replicated", thread="replicated", text="Second, calmly.")
    await wait_for(lambda: _equals(own_status(client, second), "approved"), timeout=20)
    assert await page_total(client) == 1
    hidden = await client.get(f"/v1/sites/replicated/comments/{second['id']}")
    assert hidden.status == 404  # not on the replica yet
    assert await own_status(client, first) == "approved"

    # Past REPLICA_MAX_LAG_S reads fall back to the primary, which has both.
    await wait_for(lambda: _equals(page_total(client), 2), timeout=30)
    text = await metrics_of(client)
    assert metric(text, "moderation_replica_lag_seconds") > MAX_LAG_S
    assert metric(text, "moderation_replica_in_use") == 0
    assert metric(text, "moderation_public_reads_total", database="primary") > 0

    # Replaying again, it catches up and serves reads again.
    await on_replica(pair, "SELECT pg_wal_replay_resume()")
    await wait_for(lambda: replica_in_use(client), timeout=20)
    replica_reads = metric(await metrics_of(client), "moderation_public_reads_total",
                           database="replica")
    assert await page_total(client) == 2
    assert metric(await metrics_of(client), "moderation_public_reads_total",
                  database="replica") == replica_reads + 1

    # Killed, it answers nothing: every read is still answered, by the primary.
    await asyncio.to_thread(pair.kill_replica)
    for _ in range(5):
        assert await page_total(client) == 2
    await wait_for(lambda: _not(replica_in_use(client)), timeout=10)
    await wait_for(lambda: _lag_unknown(client), timeout=10)
    third = await post_comment(client, "replicated", thread="replicated", text="Third, calmly.")
    await wait_for(lambda: _equals(page_total(client), 3), timeout=20)
    assert await own_status(client, third) == "approved"

    # Back up, it is used again.
    await asyncio.to_thread(pair.start_replica)  # pg_ctl -w: accepting when it returns
    await wait_for(lambda: replica_in_use(client), timeout=20)
    await wait_for(lambda: _equals(page_total(client), 3), timeout=20)


async def _equals(value, expected) -> bool:
    return await value == expected


async def _lag_unknown(client) -> bool:
    return math.isnan(metric(await metrics_of(client), "moderation_replica_lag_seconds"))


async def _not(value) -> bool:
    return not await value

