"""Builders for rating tests: request bodies, SSO tokens, direct rows, and a deterministic drain."""

from __future__ import annotations

import itertools
import time

import jwt

from tests.factories import drain  # noqa: F401  (re-exported for the rating tests)

_fingerprints = itertools.count()
_ips = itertools.count(1)
_address_of: dict[str, str] = {}

SSO_SECRET = "site-sso-secret-for-tests-0123456789abcdef"


def fingerprint() -> str:
    return f"browser-{next(_fingerprints)}"


def new_ip() -> str:
    n = next(_ips)
    return f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"


async def post_rating(client, site: str, author: str = "killian-jones", score: int = 4, *,
                      fingerprint_: str | None = None, ip: str | None = None,
                      sso_token: str | None = None, expect: int = 202) -> dict:
    """Posts a rating and returns the answer's JSON: from a fresh browser at a fresh address
    unless told (an anonymous rater is their address); a browser named again is where it was."""
    body: dict = {"score": score}
    if sso_token is not None:
        body["sso_token"] = sso_token
    else:
        browser = fingerprint_ or fingerprint()
        body["rater"] = {"fingerprint": browser}
        ip = ip or _address_of.setdefault(browser, new_ip())
    headers = {"X-Forwarded-For": ip} if ip else {}
    response = await client.post(f"/v1/sites/{site}/authors/{author}/ratings", json=body,
                                 headers=headers)
    assert response.status == expect, await response.text()
    return await response.json()


def sso_token(site: str = "ustv", secret: str = SSO_SECRET, sub: str = "reader-1",
              name: str = "Jane Reader", lifetime_s: int = 300, issued_ago_s: int = 0,
              algorithm: str = "HS256", **claims) -> str:
    """A token the site's login would sign for this reader (for `site`: aud is moderation:<site>)."""
    now = int(time.time())
    payload = {"sub": sub, "name": name, "aud": f"moderation:{site}", "iat": now - issued_ago_s,
               "exp": now - issued_ago_s + lifetime_s, **claims}
    return jwt.encode(payload, secret, algorithm=algorithm)





async def rating_statuses(pool, site: str) -> dict[int, str]:
    rows = await pool.fetch("SELECT rating_id, status FROM ratings WHERE site_id = $1", site)
    return {row["rating_id"]: row["status"] for row in rows}


RECOMPUTE = """
SELECT author, count(*) AS count, sum(score) AS sum,
       count(*) FILTER (WHERE score = 1) AS h1, count(*) FILTER (WHERE score = 2) AS h2,
       count(*) FILTER (WHERE score = 3) AS h3, count(*) FILTER (WHERE score = 4) AS h4,
       count(*) FILTER (WHERE score = 5) AS h5
  FROM ratings WHERE site_id = $1 AND status = 'approved' GROUP BY author"""

STORED = """
SELECT author, count, sum, h1, h2, h3, h4, h5 FROM author_ratings
 WHERE site_id = $1 AND count > 0"""


async def assert_aggregates_exact(conn, site: str) -> None:
    """The stored aggregates equal a recomputation from the ratings table."""
    expected = {r["author"]: tuple(r.values())[1:] for r in await conn.fetch(RECOMPUTE, site)}
    stored = {r["author"]: tuple(r.values())[1:] for r in await conn.fetch(STORED, site)}
    assert stored == expected
    totals = await conn.fetchrow("SELECT count, sum FROM site_rating_totals WHERE site_id = $1", site)
    count = sum(v[0] for v in expected.values())
    total = sum(v[1] for v in expected.values())
    found = (totals["count"], totals["sum"]) if totals else (0, 0)
    assert found == (count, total)
