"""`moderation worker` as an app of its own: the same worker contexts as `serve`, and its health,
readiness and metrics served on its port, so a split deployment shows what its workers decide."""

from __future__ import annotations

from aiohttp.test_utils import TestClient, TestServer

from moderation.app import WORKER_PATHS, create_worker_app
from tests.conftest import make_config, wait_for
from tests.factories import post_comment
from tests.helpers import metric


async def test_a_worker_process_decides_and_shows_it_in_its_metrics(make_client, database_url,
                                                                    site):
    api = await make_client(workers=0)  # serve without workers: only the worker app decides
    accepted = await post_comment(api, site)
    worker = TestClient(TestServer(create_worker_app(make_config(workers=1),
                                                     database_url=database_url)))
    await worker.start_server()
    try:
        async def decided() -> bool:
            answer = await api.get(f"/v1/sites/{site}/comments/{accepted['id']}",
                                   headers={"X-Edit-Token": accepted["edit_token"]})
            return (await answer.json())["status"] == "approved"

        await wait_for(decided)
        assert (await worker.get("/healthz")).status == 200
        ready = await worker.get("/readyz")
        assert ready.status == 200 and (await ready.json())["status"] == "ready"
        text = await (await worker.get("/metrics")).text()
        assert metric(text, "moderation_decisions_total", kind="comment",
                      status="approved") >= 1
        assert metric(text, "moderation_db_pool_connections", pool="workers", state="total") >= 1
        # Only what a worker has to say: no API on its port.
        assert (await worker.get(f"/v1/sites/{site}/threads/article-1/comments")).status == 404
        assert set(WORKER_PATHS) == {"/healthz", "/readyz", "/metrics"}
    finally:
        await worker.close()
