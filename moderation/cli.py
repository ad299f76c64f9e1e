"""The `moderation` command: serve, worker, migrate, site and token management, dead jobs,
import and export."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
from collections.abc import AsyncIterator

import asyncpg

from moderation import observability
from moderation.config import Config, ConfigError, load_config
from moderation.db import migrations
from moderation.db import pool as database
from moderation.db.pool import Connection
from moderation.queue import jobs as queue
from moderation.sites import store as sites
from moderation.sites.settings import web_origin


def setup_logging(config: Config) -> None:
    observability.setup_logging(config.log_level, config.log_format)
    if not config.access_log:
        logging.getLogger("moderation.access").setLevel(logging.WARNING)


async def with_connection(config: Config, action):
    conn = await database.connect(database.database_url(config), config)
    try:
        await migrations.migrate(conn)
        return await action(conn)
    finally:
        await conn.close()


@contextlib.asynccontextmanager
async def migrated_pool(config: Config, name: str) -> AsyncIterator[asyncpg.Pool]:
    """A pool on the migrated database for a long command (import, export), named `name` in
    pg_stat_activity."""
    url = database.database_url(config)
    await database.migrate_database(url, config)
    pool = await database.create_pool(url, config, name)
    try:
        yield pool
    finally:
        await pool.close()


def run_long(config: Config, main) -> None:
    """Runs `serve` or `worker` on the configured event loop."""
    factory = None
    if config.event_loop == "uvloop":
        import uvloop

        factory = uvloop.new_event_loop
    with asyncio.Runner(loop_factory=factory) as runner:
        runner.run(main)


def cmd_serve(config: Config, args) -> int:
    from moderation.app import create_app
    from moderation.web.server import serve

    # Like web.run_app, plus the request limits of moderation.web.server (slow clients, JSON errors).
    run_long(config, serve(create_app(config), config.host, config.port, shutdown_timeout=10))
    return 0


def cmd_worker(config: Config, args) -> int:
    """Workers alone, for scaling out, with /healthz, /readyz and /metrics on WORKER_PORT;
    stops gracefully on SIGTERM or SIGINT."""
    from moderation.app import create_worker_app
    from moderation.web.server import serve

    logging.getLogger("moderation").info("workers running; health and metrics on port %d",
                                         config.worker_port)
    run_long(config, serve(create_worker_app(config), config.host, config.worker_port,
                           shutdown_timeout=10))
    return 0


def cmd_migrate(config: Config, args) -> int:
    applied = asyncio.run(database.migrate_database(
        database.direct_url(config, database.database_url(config)), config))
    for m in applied:
        print(f"applied {m.version:04d}_{m.name}")
    if not applied:
        print("database is up to date")
    return 0


def cmd_site_create(config: Config, args) -> int:
    bad = [origin for origin in args.origin or [] if web_origin(origin) is None]
    if bad:
        print(f"not an origin (https://host[:port], nothing after it): {', '.join(bad)}",
              file=sys.stderr)
        return 2

    async def action(conn: Connection):
        return await sites.create_site(conn, args.slug, args.name or args.slug, args.origin or [])
    try:
        site = asyncio.run(with_connection(config, action))
    except sites.SiteExists:
        print(f"site {args.slug} already exists", file=sys.stderr)
        return 1
    print(f"created site {site.site_id} with origins: {', '.join(site.settings.allowed_origins) or '(none)'}")
    return 0


def cmd_site_set_sso(config: Config, args) -> int:
    """Sets the site's SSO secret (generated unless given) and prints it for the site's login."""
    secret = args.secret or sites.new_sso_secret()
    if len(secret) < 32:
        print("an SSO secret needs at least 32 characters", file=sys.stderr)
        return 2

    async def action(conn: Connection):
        return await sites.set_sso_secret(conn, args.slug, secret)
    if not asyncio.run(with_connection(config, action)):
        print(f"no site {args.slug}", file=sys.stderr)
        return 1
    print(f"SSO secret of site {args.slug} (sign HS256 tokens with it; see docs/sso.md):")
    print(secret)
    return 0


def cmd_token_create(config: Config, args) -> int:
    try:
        label = sites.token_label(args.label)
    except ValueError as exc:
        print(str(exc), file=sys.stderr)
        return 2

    async def action(conn: Connection):
        if await sites.fetch_site(conn, args.site) is None:
            return None
        return await sites.create_token(conn, args.site, args.role, label)
    try:
        token = asyncio.run(with_connection(config, action))
    except sites.TokenLabelTaken:
        print(f"site {args.site} has an active token labelled {label!r} already; "
              "give each person their own label", file=sys.stderr)
        return 1
    if token is None:
        print(f"no site {args.site}", file=sys.stderr)
        return 1
    print(f"{args.role} token for site {args.site} (shown once; only its hash is stored):")
    print(token)
    return 0


def cmd_token_revoke(config: Config, args) -> int:
    revoked = asyncio.run(with_connection(
        config, lambda conn: sites.revoke_token(conn, args.site, args.token)))
    if not revoked:
        print(f"no active token like that for site {args.site}", file=sys.stderr)
        return 1
    print("token revoked")
    return 0


def cmd_jobs_dead(config: Config, args) -> int:
    rows = asyncio.run(with_connection(config, lambda c: queue.list_dead(c, args.site)))
    for row in rows:
        print(f"{row['job_id']}\t{row['kind']}\t{row['item_id']}\t{row['attempts']}\t{row['last_error']}")
    print(f"{len(rows)} dead jobs")
    return 0


def cmd_jobs_retry(config: Config, args) -> int:
    # No Notifier in this process: the workers' poll finds the jobs.
    count = asyncio.run(with_connection(
        config, lambda c: queue.retry_dead(c, args.site, args.job, wake=lambda: None)))
    print(f"{count} jobs queued again")
    return 0


IMPORT_SOURCES = ("disqus", "wordpress", "isso", "remark42", "native")


def cmd_import(config: Config, args) -> int:
    """Imports a peer's export (or a `moderation export` file) into a site, with progress on a
    terminal and a summary of what was imported and skipped."""
    from pathlib import Path

    from moderation.imports.native import import_native
    from moderation.imports.runner import run_import

    path = Path(args.file)
    if not path.is_file():
        print(f"no file {path}", file=sys.stderr)
        return 2
    if args.moderate and args.source == "native":
        print("--moderate is for peers' exports; a native export keeps its decisions",
              file=sys.stderr)
        return 2

    async def action():
        async with migrated_pool(config, "import") as pool:
            if await sites.fetch_site(pool, args.site) is None:
                return None
            if args.source == "native":
                return await import_native(pool, args.site, path)
            return await run_import(pool, args.site, args.source, path, moderate=args.moderate)
    try:
        summary = asyncio.run(action())
    except ValueError as exc:  # the file is not of that format at all
        print(f"cannot import {path}: {exc}", file=sys.stderr)
        return 1
    if summary is None:
        print(f"no site {args.site}", file=sys.stderr)
        return 1
    print("\n".join(summary.lines()))
    return 0


def cmd_export(config: Config, args) -> int:
    """Writes the site as JSON Lines (`moderation import native` reads them back)."""
    from datetime import UTC, datetime

    from moderation.imports.native import export_lines

    since = None
    if args.since:
        try:
            since = datetime.fromisoformat(args.since)
        except ValueError:
            print(f"--since {args.since!r} is not a date (2024-05-01 or 2024-05-01T12:00:00Z)",
                  file=sys.stderr)
            return 2
        since = since if since.tzinfo else since.replace(tzinfo=UTC)

    async def action(out) -> bool:
        async with migrated_pool(config, "export") as pool:
            if await sites.fetch_site(pool, args.site) is None:
                return False
            async for line in export_lines(pool, args.site, since):
                out.write(line)
            return True
    if args.output:
        with open(args.output, "wb") as out:
            found = asyncio.run(action(out))
    else:
        found = asyncio.run(action(sys.stdout.buffer))
        sys.stdout.flush()
    if not found:
        print(f"no site {args.site}", file=sys.stderr)
        return 1
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="moderation", description=__doc__)
    sub = root.add_subparsers(dest="command", required=True)
    sub.add_parser("serve", help="API, widget and rule workers").set_defaults(run=cmd_serve)
    sub.add_parser("worker", help="rule workers only").set_defaults(run=cmd_worker)
    sub.add_parser("migrate", help="apply pending migrations").set_defaults(run=cmd_migrate)

    site = sub.add_parser("site", help="manage sites").add_subparsers(dest="site_command", required=True)
    create = site.add_parser("create", help="create a site")
    create.add_argument("slug")
    create.add_argument("--origin", action="append", help="an origin allowed to embed (repeat)")
    create.add_argument("--name")
    create.set_defaults(run=cmd_site_create)
    set_sso = site.add_parser("set-sso", help="set the site's SSO secret; prints it on the last line")
    set_sso.add_argument("slug")
    set_sso.add_argument("--secret", help="use this secret (32+ characters) instead of a new one")
    set_sso.set_defaults(run=cmd_site_set_sso)

    token = sub.add_parser("token", help="manage API tokens").add_subparsers(
        dest="token_command", required=True)
    tcreate = token.add_parser("create", help="create a token; prints it on the last line")
    tcreate.add_argument("--site", required=True)
    tcreate.add_argument("--role", choices=("admin", "moderator"), required=True)
    tcreate.add_argument("--label", required=True,
                         help="who holds it (unique per site), shown in the audit trail")
    tcreate.set_defaults(run=cmd_token_create)
    trevoke = token.add_parser("revoke", help="end a token at once")
    trevoke.add_argument("--site", required=True)
    trevoke.add_argument("token")
    trevoke.set_defaults(run=cmd_token_revoke)

    jobs = sub.add_parser("jobs", help="the rule queue").add_subparsers(dest="jobs_command", required=True)
    dead = jobs.add_parser("dead", help="list jobs out of attempts")
    dead.add_argument("--site", required=True)
    dead.set_defaults(run=cmd_jobs_dead)
    retry = jobs.add_parser("retry", help="queue dead jobs again")
    retry.add_argument("--site", required=True)
    retry.add_argument("--job", type=int, help="one job id; default all dead jobs of the site")
    retry.set_defaults(run=cmd_jobs_retry)

    imports = sub.add_parser("import", help="import comments from Disqus, WordPress, Isso, "
                             "Remark42 or a `moderation export` file")
    imports.add_argument("source", choices=IMPORT_SOURCES)
    imports.add_argument("file", help="the export (gzipped or not); Isso: its SQLite database")
    imports.add_argument("--site", required=True)
    imports.add_argument("--moderate", action="store_true",
                         help="send imported comments through the rules instead of trusting them")
    imports.set_defaults(run=cmd_import)
    export = sub.add_parser("export", help="write a site as JSON Lines")
    export.add_argument("--site", required=True)
    export.add_argument("--since", help="only comments, ratings and decisions since this date")
    export.add_argument("--output", "-o", help="a file (default: standard output)")
    export.set_defaults(run=cmd_export)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        config = load_config()
        if args.command in ("serve", "worker"):
            config = config.with_secret()
    except ConfigError as exc:
        print(f"moderation: {exc}", file=sys.stderr)
        return 2
    setup_logging(config)
    return args.run(config, args)


if __name__ == "__main__":
    sys.exit(main())
