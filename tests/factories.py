"""Small builders for request bodies and rows, with sensible defaults."""

from __future__ import annotations

import itertools

from moderation.sites.settings import UNLIMITED, RateLimits, SiteSettings

_names = itertools.count()

# Tests post from one address faster than any reader: their sites have no rate limits
# (tests/web/test_rate_limits.py tests them).
NO_RATE_LIMITS = RateLimits(**{action: UNLIMITED for action in RateLimits.model_fields})


def site_settings(**fields) -> SiteSettings:
    """A site's settings for a test: the given fields, no rate limits unless given."""
    return SiteSettings(**{"rate_limits": NO_RATE_LIMITS, **fields})


def comment_body(text: str = "A thoughtful comment about the article.", **extra) -> dict:
    body = {"body": text, "commenter": {"name": f"Reader {next(_names)}"}}
    body.update(extra)
    return body


async def post_comment(client, site: str, thread: str = "article-1", **extra):
    """Posts a comment and returns the 202 answer's JSON."""
    payload = comment_body(**extra)
    response = await client.post(f"/v1/sites/{site}/threads/{thread}/comments", json=payload)
    assert response.status == 202, await response.text()
    return await response.json()


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
