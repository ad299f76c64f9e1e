"""Sites (tenants) and their API tokens: creation, lookup, and a short cache for hot paths."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field

import asyncpg

from moderation.db.pool import Connection, ConnectionOrPool
from moderation.identity.signing import new_api_token, token_hash
from moderation.sites.settings import SiteSettings

SELECT_SITE = """
SELECT site_id, name, settings, settings_version, sso_secret FROM sites WHERE site_id = $1"""
INSERT_SITE = """
INSERT INTO sites (site_id, name, settings) VALUES ($1, $2, $3)
ON CONFLICT (site_id) DO NOTHING RETURNING site_id"""
INSERT_TOKEN = "INSERT INTO tokens (site_id, token_hash, role, label) VALUES ($1, $2, $3, $4)"
SELECT_TOKEN = """
SELECT role, label FROM tokens WHERE site_id = $1 AND token_hash = $2 AND revoked_at IS NULL"""
UPDATE_SETTINGS = """
UPDATE sites SET settings = $2, settings_version = settings_version + 1 WHERE site_id = $1
RETURNING settings_version"""
UPDATE_SSO_SECRET = "UPDATE sites SET sso_secret = $2 WHERE site_id = $1 RETURNING site_id"


@dataclass(frozen=True, slots=True)
class Site:
    site_id: str
    name: str
    settings: SiteSettings
    version: int
    # The HS256 key the site's login signs SSO tokens with; None until `site set-sso`.
    sso_secret: str | None = field(default=None, repr=False)

    def allows_origin(self, origin: str) -> bool:
        return origin in self.settings.allowed_origins


@dataclass(frozen=True, slots=True)
class Token:
    site_id: str
    role: str
    label: str


class SiteExists(Exception):
    pass


def site_from_row(row: asyncpg.Record) -> Site:
    return Site(row["site_id"], row["name"], SiteSettings.model_validate(row["settings"]),
                row["settings_version"], row["sso_secret"])


async def fetch_site(conn: ConnectionOrPool, site_id: str) -> Site | None:
    row = await conn.fetchrow(SELECT_SITE, site_id)
    return site_from_row(row) if row else None


async def create_site(conn: Connection, site_id: str, name: str, origins: list[str]) -> Site:
    settings = SiteSettings(allowed_origins=origins)
    created = await conn.fetchval(INSERT_SITE, site_id, name, settings.model_dump(mode="json"))
    if created is None:
        raise SiteExists(site_id)
    return Site(site_id, name, settings, 1)


async def save_settings(conn: ConnectionOrPool, site_id: str, settings: SiteSettings) -> int | None:
    return await conn.fetchval(UPDATE_SETTINGS, site_id, settings.model_dump(mode="json"))


SELECT_SETTINGS_FOR_UPDATE = "SELECT settings FROM sites WHERE site_id = $1 FOR UPDATE"


async def patch_settings(pool: asyncpg.Pool, site_id: str, changes: dict) -> SiteSettings | None:
    """Applies a merge patch to the stored settings (not a cached copy) under the row's lock, so
    two admins changing different fields both keep their change; None when there is no such
    site; pydantic's ValidationError, with nothing stored, when the result is invalid."""
    async with pool.acquire() as conn, conn.transaction():
        stored = await conn.fetchval(SELECT_SETTINGS_FOR_UPDATE, site_id)
        if stored is None:
            return None
        settings = SiteSettings.model_validate(stored).patched(changes)
        await save_settings(conn, site_id, settings)
    return settings


def new_sso_secret() -> str:
    return secrets.token_urlsafe(48)


async def set_sso_secret(conn: ConnectionOrPool, site_id: str, secret: str | None) -> bool:
    """Sets (or with None, removes) the site's SSO secret; False when there is no such site."""
    return await conn.fetchval(UPDATE_SSO_SECRET, site_id, secret) is not None


class TokenLabelTaken(Exception):
    """Another active token of the site has this label: the audit could not tell them apart."""


MAX_LABEL = 80


def token_label(label: str) -> str:
    """A token's label is who holds it (a moderator's name), as the audit shows them."""
    label = label.strip()
    if not 1 <= len(label) <= MAX_LABEL or not label.isprintable():
        raise ValueError(f"a token's label is who holds it: 1-{MAX_LABEL} printable characters")
    return label


async def create_token(conn: Connection, site_id: str, role: str, label: str) -> str:
    """A new token labelled with who holds it; TokenLabelTaken when an active token of the site
    has the label already."""
    token = new_api_token(site_id)
    try:
        await conn.execute(INSERT_TOKEN, site_id, token_hash(token), role, token_label(label))
    except asyncpg.UniqueViolationError:
        raise TokenLabelTaken(label) from None
    return token


REVOKE_TOKEN = """
UPDATE tokens SET revoked_at = now() WHERE site_id = $1 AND token_hash = $2 AND revoked_at IS NULL
RETURNING role"""


async def revoke_token(conn: Connection, site_id: str, token: str) -> bool:
    """Ends a token at once; False when it is unknown or already revoked."""
    return await conn.fetchval(REVOKE_TOKEN, site_id, token_hash(token)) is not None


LIST_TOKENS = """
SELECT token_id, role, label, created_at FROM tokens
 WHERE site_id = $1 AND revoked_at IS NULL ORDER BY role, label"""
INSERT_TOKEN_RETURNING = INSERT_TOKEN + " RETURNING token_id, role, label, created_at"
REVOKE_TOKEN_BY_ID = """
UPDATE tokens SET revoked_at = now() WHERE site_id = $1 AND token_id = $2 AND revoked_at IS NULL
RETURNING token_id"""


async def list_tokens(conn: ConnectionOrPool, site_id: str) -> list[asyncpg.Record]:
    """The site's active tokens, by who holds them (never the tokens themselves)."""
    return await conn.fetch(LIST_TOKENS, site_id)


async def issue_token(conn: ConnectionOrPool, site_id: str, role: str,
                      label: str) -> tuple[str, asyncpg.Record]:
    """Like create_token, also answering the new token's listing row."""
    token = new_api_token(site_id)
    try:
        row = await conn.fetchrow(INSERT_TOKEN_RETURNING, site_id, token_hash(token), role,
                                  token_label(label))
    except asyncpg.UniqueViolationError:
        raise TokenLabelTaken(label) from None
    assert row is not None  # INSERT … RETURNING
    return token, row


async def revoke_token_id(conn: ConnectionOrPool, site_id: str, token_id: int) -> bool:
    return await conn.fetchval(REVOKE_TOKEN_BY_ID, site_id, token_id) is not None


async def find_token(conn: ConnectionOrPool, site_id: str, token: str) -> Token | None:
    row = await conn.fetchrow(SELECT_TOKEN, site_id, token_hash(token))
    return Token(site_id, row["role"], row["label"]) if row else None


class SiteDirectory:
    """Sites by slug for the API's hot paths, trusted for a few seconds, then read again.

    A few seconds of staleness on allowed origins is the price of not reading the sites table on
    every request; a change made through this process is seen at once.
    """

    def __init__(self, pool: asyncpg.Pool, ttl_s: float, clock=time.monotonic) -> None:
        self._pool = pool
        self._ttl_s = ttl_s
        self._clock = clock
        self._entries: dict[str, tuple[float, Site | None]] = {}

    async def get(self, site_id: str) -> Site | None:
        entry = self._entries.get(site_id)
        now = self._clock()
        if entry is not None and entry[0] > now:
            return entry[1]
        site = await fetch_site(self._pool, site_id)
        if len(self._entries) > 10_000:
            self._entries.clear()
        if site is not None:  # an unknown site is not cached: it may be created any moment
            self._entries[site_id] = (now + self._ttl_s, site)
        return site

    def forget(self, site_id: str) -> None:
        self._entries.pop(site_id, None)
