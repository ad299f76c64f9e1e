"""The `demo` site behind /demo: created on first start so the page works on a fresh machine."""

from __future__ import annotations

from urllib.parse import urlsplit

import asyncpg

from moderation.config import Config
from moderation.sites import store as sites
from moderation.sites.settings import SiteSettings, web_origin

DEMO_SITE = "demo"
DEMO_NAME = "Demo: USTV article"
# Every start may add its own origin; the oldest added ones make room so the list stays bounded.
MAX_ORIGINS = 20

LOCK_SITE = "SELECT settings FROM sites WHERE site_id = $1 FOR UPDATE"


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def demo_origins(config: Config) -> list[str]:
    """The origins the demo page is served from: the server's own, and its public URL if set."""
    hosts = {"127.0.0.1", "localhost", "0.0.0.0", "::", "::1"}
    if config.host in hosts:
        origins = [f"http://127.0.0.1:{config.port}", f"http://localhost:{config.port}"]
    else:
        origins = [f"http://{config.host}:{config.port}"]
    if config.public_url:
        origins.append(origin_of(config.public_url))
    # A host that makes no origin (an IPv6 literal, say) just does not allow the demo page there.
    return [found for origin in origins if (found := web_origin(origin)) is not None]


async def ensure_demo_site(pool: asyncpg.Pool, origins: list[str]) -> None:
    """Creates the demo site if missing and allows `origins` on it; idempotent, and safe when
    several processes start together (the insert ignores conflicts, the merge holds a row lock)."""
    async with pool.acquire() as conn, conn.transaction():
        try:
            await sites.create_site(conn, DEMO_SITE, DEMO_NAME, origins[-MAX_ORIGINS:])
            return
        except sites.SiteExists:
            pass
        settings = SiteSettings.model_validate(await conn.fetchval(LOCK_SITE, DEMO_SITE))
        missing = [o for o in origins if o not in settings.allowed_origins]
        if not missing:
            return
        allowed = (settings.allowed_origins + missing)[-MAX_ORIGINS:]
        await sites.save_settings(conn, DEMO_SITE, settings.model_copy(update={"allowed_origins": allowed}))
