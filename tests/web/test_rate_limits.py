"""Rate limits of public writes: per client address and per site, shared by every process, 429
`rate_limited` with Retry-After, configurable per site."""

from __future__ import annotations

import asyncio

import pytest

from moderation.errors import ApiError
from moderation.sites import store as sites
from moderation.sites.settings import RateLimit, RateLimits
from moderation.web import rate_limits
from tests.factories import comment_body, make_token

# A day's window: a test never straddles one (the window is PostgreSQL's clock, not ours).
DAY = 86_400


async def limit(pool, site: str, **actions: RateLimit) -> None:
    settings = (await sites.fetch_site(pool, site)).settings
    await sites.save_settings(pool, site, settings.model_copy(
        update={"rate_limits": RateLimits(**actions)}))


async def assert_limited(response, scope: str) -> None:
    assert response.status == 429, await response.text()
    error = (await response.json())["error"]
    assert error["code"] == "rate_limited"
    assert error["details"][0]["scope"] == scope
    retry_after = int(response.headers["Retry-After"])
    assert 0 < retry_after <= DAY
    assert error["details"][0]["retry_after_s"] == retry_after


def rate(client, site: str, address: str, author: str = "killian-jones"):
    return client.post(f"/v1/sites/{site}/authors/{author}/ratings",
                       json={"score": 4, "rater": {"fingerprint": address}},
                       headers={"X-Forwarded-For": address})


async def test_ratings_past_the_address_limit_get_429_and_other_readers_do_not(make_client, pool,
                                                                               new_site):
    client = await make_client(workers=0, trusted_proxies="127.0.0.1")
    site = await new_site(rate_limited=True)
    await limit(pool, site, rating=RateLimit(per_address=3, per_site=None, window_s=DAY))
    for _ in range(3):
        assert (await rate(client, site, "198.51.100.1")).status == 202
    await assert_limited(await rate(client, site, "198.51.100.1"), "address")
    await assert_limited(await rate(client, site, "198.51.100.1", "other-author"), "address")
    assert (await rate(client, site, "198.51.100.2")).status == 202
    stored = await pool.fetchval("SELECT count(*) FROM ratings WHERE site_id = $1", site)
    assert stored == 4


async def test_the_site_limit_bounds_a_flood_from_many_addresses(make_client, pool, new_site):
    client = await make_client(workers=0, trusted_proxies="127.0.0.1")
    site, other = await new_site(rate_limited=True), await new_site(rate_limited=True)
    await limit(pool, site, rating=RateLimit(per_address=None, per_site=5, window_s=DAY))
    await limit(pool, other, rating=RateLimit(per_address=None, per_site=5, window_s=DAY))
    for n in range(5):
        assert (await rate(client, site, f"198.51.100.{n}")).status == 202
    await assert_limited(await rate(client, site, "198.51.100.99"), "site")
    assert (await rate(client, other, "198.51.100.99")).status == 202  # another site's own count


async def test_a_burst_of_comments_stores_only_those_within_the_limit(make_client, pool, new_site):
    """Comments are counted by the statement that stores them: of a concurrent burst exactly the
    limit is stored, the rest get 429 and leave nothing behind."""
    client = await make_client(workers=0)
    site = await new_site(rate_limited=True)
    await limit(pool, site, comment=RateLimit(per_address=3, per_site=None, window_s=DAY))
    url = f"/v1/sites/{site}/threads/burst/comments"
    answers = await asyncio.gather(*(client.post(url, json=comment_body(f"Comment number {n}"))
                                     for n in range(8)))
    assert sorted(a.status for a in answers) == [202] * 3 + [429] * 5
    for refused in (a for a in answers if a.status == 429):
        await assert_limited(refused, "address")
    stored = await pool.fetchval("SELECT count(*) FROM comments WHERE site_id = $1", site)
    assert stored == 3
    assert await pool.fetchval("SELECT count(*) FROM threads WHERE site_id = $1", site) == 1
    await assert_limited(await client.post(url, json=comment_body("One more")), "address")


async def test_api_processes_share_the_counts(make_client, pool, new_site):
    first, second = await make_client(workers=0), await make_client(workers=0)
    site = await new_site(rate_limited=True)
    await limit(pool, site, comment=RateLimit(per_address=None, per_site=2, window_s=DAY))
    url = f"/v1/sites/{site}/threads/shared/comments"
    assert (await first.post(url, json=comment_body("From the first process"))).status == 202
    assert (await second.post(url, json=comment_body("From the second process"))).status == 202
    await assert_limited(await first.post(url, json=comment_body("One too many")), "site")


async def test_reports_are_limited(make_client, pool, new_site):
    client = await make_client(workers=0)
    site = await new_site(rate_limited=True)
    await limit(pool, site, report=RateLimit(per_address=2, per_site=None, window_s=DAY))
    url = f"/v1/sites/{site}/comments/123456/reports"
    for _ in range(2):  # counted before the comment is looked up: a prober is limited too
        assert (await client.post(url, json={"reason": "spam"})).status == 404
    await assert_limited(await client.post(url, json={"reason": "spam"}), "address")


async def test_a_new_kind_of_write_just_names_its_action(pool, new_site):
    site = await new_site(rate_limited=True)
    votes = RateLimit(per_address=2, per_site=None, window_s=DAY)
    for _ in range(2):
        await rate_limits.hit(pool, site, "vote", votes, b"reader-address")
    with pytest.raises(ApiError) as refused:
        await rate_limits.hit(pool, site, "vote", votes, b"reader-address")
    assert (refused.value.status, refused.value.code) == (429, "rate_limited")
    assert "too many votes from your address" in refused.value.message
    await rate_limits.hit(pool, site, "comment", votes, b"reader-address")  # another action's own
    assert RateLimits().of("vote").per_address == 120


async def test_admins_set_the_limits_and_bad_ones_are_422(client, pool, new_site):
    site = await new_site(rate_limited=True)
    token = await make_token(pool, site)
    headers = {"Authorization": f"Bearer {token}"}
    current = await (await client.get(f"/v1/sites/{site}/settings", headers=headers)).json()
    assert current["rate_limits"]["comment"] == {"per_address": 20, "per_site": 1200,
                                                 "window_s": 60}
    current["rate_limits"]["comment"] = {"per_address": 5, "per_site": None, "window_s": 600}
    saved = await client.put(f"/v1/sites/{site}/settings", json=current, headers=headers)
    assert saved.status == 200
    assert (await saved.json())["rate_limits"]["comment"]["per_address"] == 5
    current["rate_limits"]["comment"]["per_address"] = 0
    refused = await client.put(f"/v1/sites/{site}/settings", json=current, headers=headers)
    assert refused.status == 422
    assert (await refused.json())["error"]["details"][0]["field"] == \
        "rate_limits.comment.per_address"
