"""Metrics, request ids and structured logs, as an operator sees them."""

from __future__ import annotations

import json
import logging

import pytest

from moderation.observability import JsonFormatter, Metrics
from tests.conftest import wait_for
from tests.factories import post_comment
from tests.helpers import metric


async def test_metrics_count_requests_decisions_and_the_queue(client, site):
    accepted = await post_comment(client, site)
    await wait_for(lambda: _decided(client, site, accepted))
    text = await (await client.get("/metrics")).text()
    route = "/v1/sites/{site}/threads/{thread}/comments"
    assert metric(text, "moderation_http_requests_total", method="POST", route=route,
                  status="202") == 1
    assert metric(text, "moderation_http_request_seconds_count", method="POST", route=route) == 1
    assert metric(text, "moderation_decisions_total", kind="comment", actor="rules",
                  status="approved") >= 1
    assert metric(text, "moderation_jobs_total", outcome="done") >= 1
    assert "moderation_queue_depth " in text and "moderation_queue_oldest_job_seconds " in text
    assert metric(text, "moderation_db_pool_connections", pool="requests", state="total") >= 1
    assert metric(text, "moderation_db_pool_connections", pool="workers", state="total") >= 1


async def _decided(client, site, accepted) -> bool:
    response = await client.get(f"/v1/sites/{site}/comments/{accepted['id']}")
    return response.status == 200


async def test_every_answer_carries_a_request_id(client):
    ours = await client.get("/healthz")
    assert len(ours.headers["X-Request-Id"]) == 32
    theirs = await client.get("/nowhere", headers={"X-Request-Id": "lb-1234"})
    assert theirs.status == 404 and theirs.headers["X-Request-Id"] == "lb-1234"
    odd = await client.get("/healthz", headers={"X-Request-Id": "<script>" + "x" * 200})
    assert len(odd.headers["X-Request-Id"]) == 32


async def test_one_json_log_line_per_request(client, caplog):
    with caplog.at_level(logging.INFO, logger="moderation.access"):
        response = await client.get("/healthz", headers={"X-Request-Id": "trace-7"})
    records = [r for r in caplog.records if r.name == "moderation.access"]
    assert len(records) == 1
    line = json.loads(JsonFormatter().format(records[0]))
    assert line["request_id"] == "trace-7" and line["status"] == 200
    assert line["route"] == "/healthz" and line["level"] == "info" and line["duration_ms"] >= 0
    assert response.status == 200


def test_request_latency_is_a_cumulative_prometheus_histogram():
    metrics = Metrics()
    for seconds in (0.002, 0.002, 0.04, 3.0):
        metrics.observe_request("GET", "/healthz", 200, seconds)
    metrics.observe_request("GET", "/healthz", 503, 0.001)
    text = metrics.render().decode()
    bucket = "moderation_http_request_seconds_bucket"
    assert metric(text, bucket, route="/healthz", le="0.001") == 1
    assert metric(text, bucket, route="/healthz", le="0.0025") == 3
    assert metric(text, bucket, route="/healthz", le="0.05") == 4
    assert metric(text, bucket, route="/healthz", le="2.5") == 4
    assert metric(text, bucket, route="/healthz", le="+Inf") == 5
    assert metric(text, "moderation_http_request_seconds_count", route="/healthz") == 5
    assert metric(text, "moderation_http_request_seconds_sum", route="/healthz") == \
        pytest.approx(3.045)
    assert metric(text, "moderation_http_requests_total", route="/healthz", status="200") == 4
    assert metric(text, "moderation_http_requests_total", route="/healthz", status="503") == 1


async def test_metrics_need_the_metrics_token_when_one_is_set(make_client):
    client = await make_client(workers=0, metrics_token="scrape-token-0123456789")
    assert (await client.get("/metrics")).status == 401
    wrong = await client.get("/metrics", headers={"Authorization": "Bearer not-the-token"})
    assert wrong.status == 401 and (await wrong.json())["error"]["code"] == "unauthorized"
    right = await client.get("/metrics",
                             headers={"Authorization": "Bearer scrape-token-0123456789"})
    assert right.status == 200 and "moderation_http_requests_total" in await right.text()


async def test_database_sessions_are_named_by_process_role(client):
    from moderation.web.keys import POOL, WORKER_POOL

    app = client.server.app
    assert await app[POOL].fetchval("SELECT current_setting('application_name')") == \
        "moderation serve"
    assert await app[WORKER_POOL].fetchval("SELECT current_setting('application_name')") == \
        "moderation worker"
    sessions = await app[POOL].fetch("SELECT application_name FROM pg_stat_activity")
    assert {"moderation serve", "moderation worker"} <= {s["application_name"] for s in sessions}
