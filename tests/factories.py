"""Factories for the tests: sites and their settings, tokens, comments, ratings and SSO tokens, as
requests or as rows, with sensible defaults; and a rule worker run by hand."""

from __future__ import annotations

import itertools
import time

import jwt

from moderation.sites import store as sites
from moderation.sites.settings import UNLIMITED, RateLimits, SiteSettings

_names = itertools.count()
_fingerprints = itertools.count()
_ips = itertools.count(1)
_address_of: dict[str, str] = {}

SSO_SECRET = "site-sso-secret-for-tests-0123456789abcdef"

# Tests post from one address faster than any reader: their sites have no rate limits
# (tests/web/test_rate_limits.py tests them).
NO_RATE_LIMITS = RateLimits(**{action: UNLIMITED for action in RateLimits.model_fields})


def site_settings(**fields) -> SiteSettings:
    """A site's settings for a test: the given fields, no rate limits unless given."""
    return SiteSettings(**{"rate_limits": NO_RATE_LIMITS, **fields})


async def make_token(pool, site: str, role: str = "admin", label: str | None = None) -> str:
    """A new token of the site: an admin's ("ada") unless told, a moderator's is "mona"'s."""
    return await sites.create_token(pool, site, role,
                                    label or ("ada" if role == "admin" else "mona"))


# ---------------------------------------------------------------- comments

def comment_body(text: str = "A thoughtful comment about the article.", **extra) -> dict:
    body = {"body": text, "commenter": {"name": f"Reader {next(_names)}"}}
    body.update(extra)
    return body


async def post_comment(client, site: str, thread: str = "article-1", *, name: str | None = None,
                       ip: str | None = None, **extra):
    """Posts a comment and returns the 202 answer's JSON: by a new reader unless `name` says
    who, from `ip` (X-Forwarded-For) when given."""
    payload = comment_body(**extra)
    if name is not None:
        payload["commenter"] = {"name": name}
    headers = {"X-Forwarded-For": ip} if ip else {}
    response = await client.post(f"/v1/sites/{site}/threads/{thread}/comments", json=payload,
                                 headers=headers)
    assert response.status == 202, await response.text()
    return await response.json()


# Pending comments with their rule jobs as rows (no request, no rules run yet).
QUEUED_COMMENTS = """
WITH t AS (INSERT INTO threads (site_id, thread) VALUES ($1, 'bulk') ON CONFLICT DO NOTHING),
m AS (INSERT INTO commenters (site_id, commenter, name) VALUES ($1, 'anon:bulk', 'Bulk')
      ON CONFLICT DO NOTHING),
c AS (INSERT INTO comments (site_id, thread, commenter, author_name, body)
      SELECT $1, 'bulk', 'anon:bulk', 'Bulk', body FROM unnest($2::text[]) AS b(body)
      RETURNING site_id, comment_id, version)
INSERT INTO jobs (site_id, kind, item_id, item_version)
SELECT site_id, 'comment', comment_id, version FROM c"""


async def decide(client, site: str, item_id: str, action: str, token: str, kind: str = "comment",
                 **fields):
    """A moderator's decision on a queue item through the API; the response."""
    return await client.post(f"/v1/sites/{site}/queue/{kind}/{item_id}/decision",
                             json={"action": action, **fields},
                             headers={"Authorization": f"Bearer {token}"})


async def queue_comments(pool, site: str, bodies: list[str]) -> None:
    """Comments waiting for the rules in thread 'bulk', by one commenter, without the API."""
    await pool.execute(QUEUED_COMMENTS, site, bodies)


async def seed(pool, site: str, count: int) -> None:
    """`count` comments waiting for the rules ("comment 1", "comment 2", …)."""
    await queue_comments(pool, site, [f"comment {n}" for n in range(1, count + 1)])


# ---------------------------------------------------------------- ratings and SSO

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


# ---------------------------------------------------------------- the rule worker


def make_worker(pool, name: str = "test-drain", **config):
    """A rule worker on the test configuration, run by hand (run_once) rather than as a task."""
    from moderation.clock import utcnow
    from moderation.queue.worker import Worker
    from tests.conftest import make_config

    return Worker(pool, make_config(**config), utcnow, name)


async def drain_with(worker) -> int:
    """Runs this worker until it finds the queue empty; returns how many jobs it decided."""
    total = 0
    while claimed := await worker.run_once():
        total += claimed
    return total


async def drain(pool, **config) -> int:
    """Runs a worker until the queue is empty; returns how many jobs it decided."""
    return await drain_with(make_worker(pool, **{"batch_size": 500, **config}))
