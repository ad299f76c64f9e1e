"""Rate limits of public writes, counted in PostgreSQL so that every API process shares them.

A limit is a fixed window per (site, write, client address) and per (site, write): the first
request of a window inserts its row in `rate_counts` (sql/0008), each later one adds one with an
UPSERT that returns the new count; past the site's limit the request gets 429 `rate_limited`
with `Retry-After` until the window ends. Refused requests count too, so a client that keeps
hammering stays refused. The table is UNLOGGED: counting writes no WAL and waits for no disk
flush, and a crash forgetting the current windows' counts is harmless.

Comments do not call `hit`: the statement that stores a batch of comments counts them itself
(moderation.comments.accepting), so a comment costs no extra round trip.
"""

from __future__ import annotations

import math

from moderation.db.pool import ConnectionOrPool
from moderation.errors import ApiError
from moderation.sites.settings import RateLimit

# The whole site's bucket: no address hash.
SITE_KEY = b""

# Counts one request in each of its buckets ($3 keys, $4 their limits); answers each bucket's
# count, its limit and the seconds left in the window. Buckets are taken in key order, so two
# requests never wait for each other's rows in opposite orders.
HIT = """
WITH w AS (
    SELECT to_timestamp(floor(extract(epoch FROM now()) / $5) * $5) AS window_start
), counted AS (
    INSERT INTO rate_counts AS r (site_id, action, address_hash, window_start, count)
    SELECT $1, $2, b.key, w.window_start, 1
      FROM w, unnest($3::bytea[]) AS b(key) ORDER BY b.key
    ON CONFLICT (site_id, action, address_hash, window_start) DO UPDATE SET count = r.count + 1
    RETURNING r.address_hash, r.count, r.window_start
)
SELECT c.address_hash, c.count, b.quota,
       extract(epoch FROM c.window_start + make_interval(secs => $5) - now())::float8 AS left_s
  FROM counted c JOIN unnest($3::bytea[], $4::int[]) AS b(key, quota) ON b.key = c.address_hash"""


def buckets(limit: RateLimit, address_hash: bytes | None) -> tuple[list[bytes], list[int]]:
    """The buckets one request counts in, with their limits."""
    keys, quotas = [], []
    if limit.per_address is not None and address_hash:
        keys.append(address_hash)
        quotas.append(limit.per_address)
    if limit.per_site is not None:
        keys.append(SITE_KEY)
        quotas.append(limit.per_site)
    return keys, quotas


NOUNS = {"comment": "comments", "rating": "ratings", "report": "reports", "vote": "votes"}


def rate_limited(action: str, scope: str, limit: RateLimit, left_s: float) -> ApiError:
    """429 with Retry-After: the seconds until the window that refused it ends."""
    retry_after = max(1, math.ceil(left_s))
    quota = limit.per_address if scope == "address" else limit.per_site
    whose = "from your address" if scope == "address" else "on this site"
    what = NOUNS.get(action, action + "s")
    return ApiError(429, "rate_limited",
                    f"too many {what} {whose}; try again in {retry_after} seconds",
                    [{"scope": scope, "limit": quota, "window_s": limit.window_s,
                      "retry_after_s": retry_after}],
                    headers={"Retry-After": str(retry_after)})


async def hit(conn: ConnectionOrPool, site_id: str, action: str, limit: RateLimit,
              address_hash: bytes | None) -> None:
    """Counts one `action` (a public write: "rating", "report", "vote"…) from this address on
    this site; raises the 429 once a limit is exceeded."""
    keys, quotas = buckets(limit, address_hash)
    if not keys:
        return
    rows = await conn.fetch(HIT, site_id, action, keys, quotas, limit.window_s)
    over = [row for row in rows if row["count"] > row["quota"]]
    if over:
        worst = max(over, key=lambda row: row["left_s"])
        scope = "site" if worst["address_hash"] == SITE_KEY else "address"
        raise rate_limited(action, scope, limit, worst["left_s"])
