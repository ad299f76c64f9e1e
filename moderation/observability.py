"""What operators see: Prometheus metrics, one JSON log line per request, and request ids."""

from __future__ import annotations

import itertools
import logging
import re
import sys
import time
import uuid
from datetime import datetime, timezone

import orjson
from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

log = logging.getLogger("moderation.access")

REQUEST_ID_HEADER = "X-Request-Id"
# A caller's request id is kept when it looks like one; anything else is replaced by our own.
GOOD_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
REQUEST_ID = web.RequestKey("request_id", str)


def _request_ids():
    """Unique across processes (a random prefix per process) and far cheaper than uuid4 each."""
    prefix = uuid.uuid4().hex[:16]
    for number in itertools.count(1):
        yield f"{prefix}{number:016x}"


new_request_id = _request_ids().__next__


class Metrics:
    """One registry per app (no module-level singletons), shared by its handlers and workers."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("moderation_http_requests", "HTTP requests by route and status",
                                ["method", "route", "status"], registry=self.registry)
        self.latency = Histogram(
            "moderation_http_request_seconds", "HTTP request latency by route", ["method", "route"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
            registry=self.registry)
        self.jobs = Counter("moderation_jobs", "rule jobs finished, by outcome",
                            ["outcome"], registry=self.registry)
        self.decisions = Counter("moderation_decisions", "decisions applied, by kind, actor and status",
                                 ["kind", "actor", "status"], registry=self.registry)
        self.verdicts = Counter("moderation_rule_verdicts", "non-allow verdicts by rule and action",
                                ["rule", "action"], registry=self.registry)
        self.queue_depth = Gauge("moderation_queue_depth", "jobs queued or running",
                                 registry=self.registry)
        self.oldest_job = Gauge("moderation_queue_oldest_job_seconds", "age of the oldest open job",
                                registry=self.registry)
        self._request_children: dict[tuple[str, str, int], tuple] = {}
        self.pool_size = Gauge("moderation_db_pool_connections", "database connections in the pool",
                               ["state"], registry=self.registry)

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        """Counts and times one request; the labelled children are looked up once per route."""
        key = (method, route, status)
        children = self._request_children.get(key)
        if children is None:
            children = self._request_children[key] = (
                self.requests.labels(method, route, str(status)),
                self.latency.labels(method, route))
        children[0].inc()
        children[1].observe(seconds)

    def observe_judgements(self, applied, actor: str = "rules") -> None:
        for judgement in applied:
            self.decisions.labels(judgement.item.kind, actor, judgement.status).inc()
            for verdict in judgement.verdicts:
                if verdict.action != "allow":
                    self.verdicts.labels(verdict.rule, verdict.action).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)


METRICS = web.AppKey("metrics", Metrics)


def route_of(request: web.Request) -> str:
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "unmatched"


@web.middleware
async def request_middleware(request: web.Request, handler) -> web.StreamResponse:
    """Gives every request an id (echoed in X-Request-Id), counts it, times it and logs one line."""
    given = request.headers.get(REQUEST_ID_HEADER, "")
    request_id = given if GOOD_REQUEST_ID.match(given) else new_request_id()
    request[REQUEST_ID] = request_id
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        response.headers[REQUEST_ID_HEADER] = request_id
        return response
    except web.HTTPException as exc:  # redirects and the like pass through the error middleware
        status = exc.status
        exc.headers[REQUEST_ID_HEADER] = request_id
        raise
    finally:
        elapsed = time.perf_counter() - started
        route = route_of(request)
        request.app[METRICS].observe_request(request.method, route, status, elapsed)
        if log.isEnabledFor(logging.INFO):
            log.info("request", extra={"fields": {
                "request_id": request_id, "method": request.method, "path": request.path,
                "route": route, "status": status, "duration_ms": round(elapsed * 1000, 2)}})


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, and any structured fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {"ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(),
                 "level": record.levelname.lower(), "logger": record.name,
                 "msg": record.getMessage()}
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return orjson.dumps(entry).decode()


def setup_logging(level: str, fmt: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(
        "%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # The embedded server narrates every pg_ctl call at INFO; only its problems matter here.
    logging.getLogger("pgserver").setLevel(max(logging.WARNING, logging.getLevelName(level)))
