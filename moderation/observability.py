"""What operators see: Prometheus metrics, one JSON log line per request, and request ids."""

from __future__ import annotations

import itertools
import logging
import re
import sys
import time
import uuid
from bisect import bisect_left
from datetime import datetime, timezone

import orjson
from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily

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


LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)


class RequestStats:
    """Requests by route and status, and their latency histograms, kept as plain numbers.

    Every request updates these, so they skip what prometheus-client's labelled metrics do per
    call (a label lookup and a lock per value; one event loop thread needs neither); Prometheus
    reads them through `collect` like any collector.
    """

    def __init__(self, buckets: tuple[float, ...] = LATENCY_BUCKETS) -> None:
        self.buckets = buckets
        self.counts: dict[tuple[str, str, int], int] = {}
        # (method, route) -> per-bucket counts (the last one is +Inf), then the sum of seconds
        self.latency: dict[tuple[str, str], list[float]] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, status)
        self.counts[key] = self.counts.get(key, 0) + 1
        histogram = self.latency.get(key[:2])
        if histogram is None:
            histogram = self.latency[key[:2]] = [0] * (len(self.buckets) + 2)
        histogram[bisect_left(self.buckets, seconds)] += 1
        histogram[-1] += seconds

    def collect(self):
        requests = CounterMetricFamily("moderation_http_requests", "HTTP requests by route and status",
                                       labels=["method", "route", "status"])
        for (method, route, status), count in self.counts.items():
            requests.add_metric([method, route, str(status)], count)
        latency = HistogramMetricFamily("moderation_http_request_seconds",
                                        "HTTP request latency by route", labels=["method", "route"])
        for labels, histogram in self.latency.items():
            cumulative = list(itertools.accumulate(histogram[:-1]))
            bounds = [str(float(b)) for b in self.buckets] + ["+Inf"]
            latency.add_metric(list(labels), list(zip(bounds, cumulative, strict=True)),
                               sum_value=histogram[-1])
        return [requests, latency]


class Metrics:
    """One registry per app (no module-level singletons), shared by its handlers and workers."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.request_stats = RequestStats()
        self.registry.register(self.request_stats)
        self.observe_request = self.request_stats.observe
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
        self.webhook_attempts = Counter(
            "moderation_webhook_attempts", "webhook delivery attempts, by outcome (delivered, "
            "failing, dead, lost) and HTTP status class (2xx..5xx, none)",
            ["outcome", "status"], registry=self.registry)
        self.pool_size = Gauge("moderation_db_pool_connections",
                               "database connections by pool (requests, workers) and state",
                               ["pool", "state"], registry=self.registry)

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


def request_id_for(request: web.BaseRequest) -> str:
    """The caller's X-Request-Id when it looks like one, else a new id; kept on the request."""
    given = request.headers.get(REQUEST_ID_HEADER, "")
    request_id = given if given and GOOD_REQUEST_ID.match(given) else new_request_id()
    request[REQUEST_ID] = request_id
    return request_id


def observe(metrics: Metrics, request: web.BaseRequest, request_id: str, status: int,
            started: float, route: str) -> None:
    """Counts and times a finished request, and logs its one line when INFO is on."""
    elapsed = time.perf_counter() - started
    metrics.observe_request(request.method, route, status, elapsed)
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
