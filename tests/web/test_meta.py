"""Liveness, readiness, the OpenAPI document, and 503 when the database goes away."""

from __future__ import annotations

import asyncio
import time

from aiohttp.test_utils import TestClient, TestServer

from moderation.app import create_app
from moderation.db import pool as database
from moderation.sites import store as sites
from moderation.web.keys import POOL
from moderation.web.models import CommentAccepted, OwnCommentOut, ThreadPage
from tests.conftest import make_config, wait_for
from tests.factories import post_comment
from tests.helpers import pg_ctl


async def test_health_and_readiness(client):
    assert await (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status == 200
    assert await ready.json() == {"status": "ready", "database": True, "pending_migrations": []}


async def test_openapi_describes_every_route(client):
    doc = await (await client.get("/openapi.json")).json()
    assert doc["openapi"].startswith("3.")
    routes = {(r.method, r.resource.canonical) for r in client.app.router.routes()
              if r.method not in ("HEAD", "OPTIONS")}
    documented = {(method.upper(), path) for path, ops in doc["paths"].items() for method in ops}
    assert routes == documented
    post = doc["paths"]["/v1/sites/{site}/threads/{thread}/comments"]["post"]
    assert post["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("CommentIn")
    assert "202" in post["responses"] and "422" in post["responses"]
    assert "CommentIn" in doc["components"]["schemas"]


async def test_answers_match_their_documented_models(client, site):
    accepted = await post_comment(client, site, thread="models")
    CommentAccepted.model_validate(accepted)
    await wait_for(lambda: _approved(client, site, accepted))
    own = await (await client.get(f"/v1/sites/{site}/comments/{accepted['id']}",
                                  headers={"X-Edit-Token": accepted["edit_token"]})).json()
    OwnCommentOut.model_validate(own)
    ThreadPage.model_validate(await (await client.get(
        f"/v1/sites/{site}/threads/models/comments")).json())


async def _approved(client, site, accepted) -> bool:
    response = await client.get(f"/v1/sites/{site}/comments/{accepted['id']}")
    return response.status == 200


async def test_database_down_answers_503_quickly_then_recovers(tmp_path):
    server_dir = tmp_path / "data"
    url = database.embedded_url(server_dir)
    app = create_app(make_config(db_timeout_s=1, workers=1), database_url=url)
    client = TestClient(TestServer(app))
    await client.start_server()
    try:
        await sites.create_site(app[POOL], "down", "down", [])
        server = database._embedded_servers[(server_dir / "pg").resolve()]
        await asyncio.to_thread(pg_ctl, server, "stop", 20)
        started = time.monotonic()
        response = await client.post("/v1/sites/down/threads/t/comments",
                                     json={"body": "hello there", "commenter": {"name": "x"}})
        assert response.status == 503
        assert (await response.json())["error"]["code"] == "database_unavailable"
        assert time.monotonic() - started < 5
        assert (await client.get("/readyz")).status == 503
        await asyncio.to_thread(pg_ctl, server, "start", 20)
        accepted = await wait_for(lambda: _post_ok(client), timeout=15)
        assert accepted["status"] == "pending"
    finally:
        await client.close()


async def _post_ok(client):
    response = await client.post("/v1/sites/down/threads/t/comments",
                                 json={"body": "hello again", "commenter": {"name": "x"}})
    return await response.json() if response.status == 202 else None
