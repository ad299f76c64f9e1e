"""Everything the application shares, declared in one place as typed AppKeys."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

import asyncpg
from aiohttp import web

from moderation.config import Config
from moderation.db.replica import PublicReads
from moderation.identity.signing import Signer
from moderation.judging.dry_run import DryRuns
from moderation.queue.worker import JobListener, Notifier, Worker
from moderation.sites.store import SiteDirectory
from moderation.web.addresses import ClientAddresses

if TYPE_CHECKING:  # moderation.comments.accepting itself needs the keys below
    from moderation.comments.accepting import CommentAccepter

CONFIG = web.AppKey("config", Config)
CLOCK: web.AppKey[Callable[[], datetime]] = web.AppKey("clock")
DATABASE_URL = web.AppKey("database_url", str)
# PostgreSQL itself, for LISTEN, migrations and advisory locks (DATABASE_DIRECT_URL, else DATABASE_URL).
DIRECT_DATABASE_URL = web.AppKey("direct_database_url", str)
POOL = web.AppKey("pool", asyncpg.Pool)
WORKER_POOL = web.AppKey("worker_pool", asyncpg.Pool)  # only while workers run inside `serve`
SIGNER = web.AppKey("signer", Signer)
SITES = web.AppKey("sites", SiteDirectory)
CLIENTS = web.AppKey("clients", ClientAddresses)
DRY_RUNS = web.AppKey("dry_runs", DryRuns)
NOTIFIER = web.AppKey("notifier", Notifier)
WORKERS = web.AppKey("workers", list[Worker])
LISTENER = web.AppKey("listener", JobListener)
ACCEPTER: web.AppKey[CommentAccepter] = web.AppKey("accepter")

# Where public reads go: the read replica while it keeps up, else the primary.
PUBLIC_READS = web.AppKey("public_reads", PublicReads)
