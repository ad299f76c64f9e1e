"""The application factory: routes from the registry, middlewares, and every resource in cleanup_ctx."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

import asyncpg
from aiohttp import web

# Importing the API modules registers their endpoints.
from moderation.appeals import handlers as appeal_handlers  # noqa: F401
from moderation.clock import utcnow
from moderation.comments import handlers as comment_handlers
from moderation.comments.accepting import accepter_ctx
from moderation.config import Config
from moderation.db import pool as database
from moderation.db.replica import PublicReads
from moderation.identity.signing import Signer
from moderation.imports import handlers as import_handlers  # noqa: F401
from moderation.judging.dry_run import DryRuns
from moderation.judging.pipeline import warm_up
from moderation.live.handlers import end_streams, live_ctx
from moderation.mail import handlers as mail_handlers  # noqa: F401
from moderation.observability import METRICS, Metrics
from moderation.queue.backpressure import backpressure_ctx
from moderation.queue.cleanup import Cleanup
from moderation.queue.worker import JobListener, Notifier, Worker, worker_name
from moderation.ratings import handlers as rating_handlers
from moderation.ratings.handlers import RATING_READS, RatingReads
from moderation.review import desk_handlers, featuring  # noqa: F401
from moderation.review import handlers as review_handlers  # noqa: F401
from moderation.sites import handlers as site_handlers  # noqa: F401
from moderation.sites import token_handlers, wordlist_handlers  # noqa: F401
from moderation.sites.demo import demo_origins, ensure_demo_site
from moderation.sites.store import SiteDirectory
from moderation.threads import handlers as thread_handlers  # noqa: F401
from moderation.votes import handlers as vote_handlers  # noqa: F401
from moderation.web import desk_pages, meta, pages  # noqa: F401
from moderation.web.addresses import ClientAddresses, parse_networks
from moderation.web.keys import (
    CLIENTS,
    CLOCK,
    CONFIG,
    DATABASE_URL,
    DIRECT_DATABASE_URL,
    DRY_RUNS,
    LISTENER,
    NOTIFIER,
    POOL,
    PUBLIC_READS,
    SIGNER,
    SITES,
    WORKER_POOL,
    WORKERS,
)
from moderation.web.middlewares import api_middleware, preflight
from moderation.web.registry import ENDPOINTS
from moderation.web.server import server_options
from moderation.web.shared_answers import FRONT_CACHE, FrontCache
from moderation.webhooks import handlers as webhook_handlers  # noqa: F401
from moderation.webhooks.delivery import senders_ctx

log = logging.getLogger(__name__)


async def migrated_database(app: web.Application) -> str:
    """The database's URL (the app's own, else the configured one) once its migrations ran on
    PostgreSQL itself."""
    config = app[CONFIG]
    url = app.get(DATABASE_URL) or database.database_url(config)
    app[DATABASE_URL] = url
    app[DIRECT_DATABASE_URL] = database.direct_url(config, url)
    await database.migrate_database(app[DIRECT_DATABASE_URL], config)
    return url


async def database_ctx(app: web.Application):
    config = app[CONFIG]
    url = await migrated_database(app)
    app[POOL] = await database.create_pool(url, config, "serve")
    replica = (await database.create_pool(config.database_replica_url, config, "replica")
               if config.database_replica_url else None)
    reads = app[PUBLIC_READS] = PublicReads(
        app[POOL], replica, max_lag_s=config.replica_max_lag_s, check_s=config.replica_check_s,
        registry=app[METRICS].registry)
    watch = asyncio.create_task(reads.watch(), name="replica-check") if replica else None
    app[SITES] = SiteDirectory(app[POOL], config.site_cache_s)
    if config.demo_site:
        await ensure_demo_site(app[POOL], demo_origins(config))
    yield
    if watch is not None:
        watch.cancel()
        await asyncio.gather(watch, return_exceptions=True)
    if replica is not None:
        await replica.close()
    await app[POOL].close()


async def worker_database_ctx(app: web.Application):
    """`moderation worker`: migrations and a small pool for the cleanup, the NOTIFY sender,
    /readyz and /metrics (the workers have their own)."""
    app[POOL] = await database.create_pool(await migrated_database(app), app[CONFIG], "cleanup")
    yield
    await app[POOL].close()


async def workers_ctx(app: web.Application):
    """Rule workers, their LISTEN connection, the NOTIFY sender and the periodic cleanup
    (moderation.queue.cleanup); stopped gracefully."""
    config = app[CONFIG]
    # The workers' own connections: their plans are renewed every second
    # (database.WORKER_STATEMENT_LIFETIME_S), and a backlog being worked never takes the
    # connections that requests wait for.
    pool: asyncpg.Pool | None = None
    if config.workers:
        await warm_up()  # before the pool: a failure here leaves nothing open
        pool = app[WORKER_POOL] = await database.create_pool(app[DATABASE_URL], config, "worker")
    workers = [Worker(pool, config, app[CLOCK], worker_name(i), metrics=app[METRICS])
               for i in range(config.workers)] if pool is not None else []
    app[WORKERS] = workers
    app[NOTIFIER] = Notifier(app[POOL], workers)
    # The cleanup's advisory lock belongs to a session: past a transaction pooler, on PostgreSQL.
    direct_pool: asyncpg.Pool | None = None
    if database.through_pooler(config, app[DATABASE_URL]):
        direct_pool = await database.create_pool(app[DIRECT_DATABASE_URL], config, "cleanup")
    cleanup = Cleanup(direct_pool or app[POOL], config.address_retention_days, app[CLOCK])
    tasks = [asyncio.create_task(app[NOTIFIER].run(), name="notifier"),
             asyncio.create_task(cleanup.run(config.cleanup_interval_s), name="cleanup")]
    worker_tasks = [asyncio.create_task(w.run(), name=w.name) for w in workers]
    if workers:
        app[LISTENER] = JobListener(app[DIRECT_DATABASE_URL], config, workers, app[NOTIFIER].sender)
        tasks.append(asyncio.create_task(app[LISTENER].run(), name="job-listener"))
    yield
    for worker in workers:
        worker.stop()
    await asyncio.gather(*worker_tasks, return_exceptions=True)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    for opened in (pool, direct_pool):
        if opened is not None:
            await opened.close()


# The widget's calls, most frequent first: every article view reads its author's rating and the
# thread's first page; posting is rarer.
HOT_PATHS = (rating_handlers.AUTHOR_PATH + "/rating", comment_handlers.THREAD_PATH,
             comment_handlers.COUNTS_PATH,
             comment_handlers.COMMENT_PATH)


def route_order(path: str, audience: str) -> tuple[int, int]:
    hot = HOT_PATHS.index(path) if path in HOT_PATHS else len(HOT_PATHS)
    return audience != "public", hot


def add_routes(app: web.Application) -> None:
    """One resource per path, the widget's hot paths first.

    aiohttp tries every `/v1/sites/{site}/…` resource in registration order until one matches
    (each miss is a regex try), so the hottest paths come first and each path's methods share
    a resource.
    """
    by_path: dict[str, list] = {}
    for ep in ENDPOINTS:
        by_path.setdefault(ep.path, []).append(ep)
    ordered = sorted(by_path.items(), key=lambda item: route_order(item[0], item[1][0].audience))
    for path, endpoints in ordered:
        resource = app.router.add_resource(path)
        for ep in endpoints:
            resource.add_route(ep.method, ep.handler)
        if endpoints[0].audience == "public":
            resource.add_route("OPTIONS", preflight)


# What `moderation worker` serves: enough to be watched and scraped like `serve`.
WORKER_PATHS = ("/healthz", "/readyz", "/metrics")


def create_worker_app(config: Config, *, clock: Callable[[], datetime] = utcnow,
                      database_url: str | None = None) -> web.Application:
    """`moderation worker`: the rule workers built from the same contexts as `serve`
    (workers_ctx), with their health, readiness and metrics on `worker_port`, so a split
    deployment shows its queue and decision metrics."""
    config = config.model_copy(update={"workers": max(1, config.workers)})
    app = web.Application(handler_args=server_options(config), middlewares=[api_middleware])
    app[CONFIG] = config
    app[CLOCK] = clock
    app[METRICS] = Metrics()
    app[FRONT_CACHE] = FrontCache()  # the server's request handler asks for it; nothing is shared
    if database_url:
        app[DATABASE_URL] = database_url
    app.cleanup_ctx.extend([worker_database_ctx, workers_ctx, senders_ctx])
    for ep in ENDPOINTS:
        if ep.path in WORKER_PATHS:
            app.router.add_route(ep.method, ep.path, ep.handler)
    return app


def create_app(config: Config, *, clock: Callable[[], datetime] = utcnow,
               database_url: str | None = None) -> web.Application:
    config = config.with_secret()
    app = web.Application(client_max_size=config.max_body_bytes, handler_args=server_options(config),
                          middlewares=[api_middleware])
    app[CONFIG] = config
    app[CLOCK] = clock
    app[SIGNER] = Signer(config.require_secret_key())
    app[CLIENTS] = ClientAddresses(parse_networks(config.trusted_proxies))
    app[DRY_RUNS] = DryRuns()
    app[RATING_READS] = RatingReads.from_config(config)
    app[FRONT_CACHE] = FrontCache()
    app[METRICS] = Metrics()
    if database_url:
        app[DATABASE_URL] = database_url
    # Cleaned up in reverse: comments still being stored are drained while the NOTIFY sender and
    # the workers still run, so they are announced; then the workers stop; the pool closes last.
    app.cleanup_ctx.extend([database_ctx, backpressure_ctx, workers_ctx, senders_ctx, accepter_ctx,
                            live_ctx])
    app.on_shutdown.append(end_streams)
    add_routes(app)
    return app
