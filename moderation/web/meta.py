"""Meta endpoints: liveness, readiness and the OpenAPI document."""

from __future__ import annotations

import asyncio
import hmac

from aiohttp import web

from moderation.db import migrations
from moderation.errors import DATABASE_DOWN, ApiError
from moderation.observability import METRICS
from moderation.queue import jobs as queue
from moderation.web.http import bearer_token, json_response
from moderation.web.keys import CONFIG, POOL, WORKER_POOL
from moderation.web.models import Health, Readiness
from moderation.web.openapi import openapi_document
from moderation.web.registry import endpoint


@endpoint("GET", "/healthz", "The process is alive", "meta", responses={200: Health})
async def healthz(request: web.Request) -> web.Response:
    return json_response({"status": "ok"})


@endpoint("GET", "/readyz", "The database answers and every migration is applied", "meta",
          responses={200: Readiness, 503: Readiness})
async def readyz(request: web.Request) -> web.Response:
    try:
        async with asyncio.timeout(2):
            async with request.app[POOL].acquire() as conn:
                pending = await migrations.pending(conn)
    except DATABASE_DOWN:
        return json_response({"status": "not_ready", "database": False,
                              "pending_migrations": []}, status=503)
    names = [f"{m.version:04d}_{m.name}" for m in pending]
    ready = not names
    return json_response({"status": "ready" if ready else "not_ready", "database": True,
                          "pending_migrations": names}, status=200 if ready else 503)


@endpoint("GET", "/openapi.json", "This API described in OpenAPI 3.1", "meta")
async def openapi(request: web.Request) -> web.Response:
    return json_response(openapi_document())


def require_metrics_token(request: web.Request) -> None:
    expected = request.app[CONFIG].metrics_token
    if expected is None:
        return
    given = bearer_token(request) or ""
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise ApiError(401, "unauthorized", "send the metrics token as 'Authorization: Bearer <token>'",
                       headers={"WWW-Authenticate": "Bearer"})


@endpoint("GET", "/metrics", "Prometheus metrics: requests, queue, decisions, rules, pool "
          "(with METRICS_TOKEN set, only with it as a bearer token)", "meta",
          content_type="text/plain", errors=(401,))
async def metrics(request: web.Request) -> web.Response:
    require_metrics_token(request)
    registry = request.app[METRICS]
    pool = request.app[POOL]
    for name, counted in (("requests", pool), ("workers", request.app.get(WORKER_POOL))):
        if counted is not None:
            registry.pool_size.labels(name, "total").set(counted.get_size())
            registry.pool_size.labels(name, "idle").set(counted.get_idle_size())
    try:
        async with asyncio.timeout(2):
            depth = await queue.depth(pool)
        registry.queue_depth.set(depth["depth"])
        registry.oldest_job.set(float(depth["oldest_s"]))
    except DATABASE_DOWN:
        pass  # the other metrics are still worth a scrape
    return web.Response(body=registry.render(), content_type="text/plain",
                        headers={"Cache-Control": "no-store"})
