"""The sites' word lists in PostgreSQL: read, replace, and the defaults a new site starts with.

A site without a stored list uses the default one (version 0); the first PUT stores version 1 and
every later PUT increments it, which is how workers notice the change on their next batch.
"""

from __future__ import annotations

from typing import Literal

from moderation.db.pool import Connection, ConnectionOrPool
from moderation.text.default_wordlists import BANNED, SUSPECT

ListName = Literal["banned", "suspect"]
DEFAULTS: dict[str, tuple[str, ...]] = {"banned": BANNED, "suspect": SUSPECT}
NAMES: tuple[str, ...] = tuple(DEFAULTS)

SELECT_WORDLIST = "SELECT words, version FROM wordlists WHERE site_id = $1 AND name = $2"
UPSERT_WORDLIST = """
INSERT INTO wordlists (site_id, name, words, version) VALUES ($1, $2, $3, 1)
ON CONFLICT (site_id, name) DO UPDATE
   SET words = EXCLUDED.words, version = wordlists.version + 1, updated_at = now()
RETURNING version"""
# The words of the (site, list, version)s a worker has not compiled yet.
SELECT_WORDS = """
SELECT w.site_id, w.name, w.version, w.words
  FROM unnest($1::text[], $2::text[]) AS k(site_id, name)
  JOIN wordlists w ON w.site_id = k.site_id AND w.name = k.name"""


async def get(conn: ConnectionOrPool, site_id: str, name: str) -> tuple[list[str], int]:
    """(words, version) of one list; the default list at version 0 when the site has none."""
    row = await conn.fetchrow(SELECT_WORDLIST, site_id, name)
    if row is None:
        return list(DEFAULTS[name]), 0
    return list(row["words"]), row["version"]


async def put(conn: ConnectionOrPool, site_id: str, name: str, words: list[str]) -> int:
    """Replaces one list; returns its new version."""
    return await conn.fetchval(UPSERT_WORDLIST, site_id, name, words)


async def words_of(conn: Connection,
                   keys: list[tuple[str, str]]) -> dict[tuple[str, str], tuple[int, list[str]]]:
    """(version, words) of stored lists by (site, name)."""
    rows = await conn.fetch(SELECT_WORDS, [k[0] for k in keys], [k[1] for k in keys])
    return {(r["site_id"], r["name"]): (r["version"], list(r["words"])) for r in rows}
