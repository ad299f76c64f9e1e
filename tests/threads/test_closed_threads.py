"""Closed threads: moderators close and reopen them, a site closes them N days after their first
comment, and a closed thread takes no new comments (409 thread_closed)."""

from __future__ import annotations

from datetime import timedelta

from moderation.clock import utcnow
from moderation.sites import store as sites
from tests.factories import comment_body, drain, post_comment, site_settings


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def moderator(pool, site) -> str:
    return await sites.create_token(pool, site, "moderator", "mona")


async def close(client, site, token, thread: str, closed: bool = True) -> dict:
    response = await client.patch(f"/v1/sites/{site}/threads/{thread}", json={"closed": closed},
                                  headers=bearer(token))
    assert response.status == 200, await response.text()
    return await response.json()


async def stored(pool, site) -> int:
    return await pool.fetchval("SELECT count(*) FROM comments WHERE site_id = $1", site)


async def test_a_thread_without_comments_is_open_and_empty(client, site):
    response = await client.get(f"/v1/sites/{site}/threads/fresh")
    assert response.status == 200
    assert await response.json() == {"thread": "fresh", "title": None, "url": None,
                                     "closed": False, "total": 0}


async def test_a_closed_thread_refuses_comments_and_replies_until_reopened(make_client, pool, site):
    client = await make_client(workers=0)
    token = await moderator(pool, site)
    parent = await post_comment(client, site, thread="debate", thread_title="The debate",
                                thread_url="https://news.example/debate")
    assert (await close(client, site, token, "debate"))["closed"] is True
    before = await stored(pool, site)
    for extra in ({}, {"parent_id": parent["id"]}):
        refused = await client.post(f"/v1/sites/{site}/threads/debate/comments",
                                    json=comment_body("Too late?", **extra))
        assert refused.status == 409
        assert (await refused.json())["error"]["code"] == "thread_closed"
    assert await stored(pool, site) == before  # nothing stored half-way
    state = await (await client.get(f"/v1/sites/{site}/threads/debate")).json()
    assert state == {"thread": "debate", "title": "The debate", "url": "https://news.example/debate",
                     "closed": True, "total": 0}
    page = await (await client.get(f"/v1/sites/{site}/threads/debate/comments")).json()
    assert page["closed"] is True
    # Other threads of the site stay open.
    await post_comment(client, site, thread="other")
    assert (await close(client, site, token, "debate", closed=False))["closed"] is False
    await post_comment(client, site, thread="debate")


async def test_a_moderator_may_close_a_thread_before_its_first_comment(client, pool, site):
    token = await moderator(pool, site)
    await close(client, site, token, "embargoed")
    refused = await client.post(f"/v1/sites/{site}/threads/embargoed/comments", json=comment_body())
    assert refused.status == 409


async def test_threads_close_by_themselves_after_the_sites_days(make_client, pool, site):
    await sites.save_settings(pool, site, site_settings(auto_close_days=3))
    later = [utcnow()]
    client = await make_client(workers=0, clock=lambda: later[0])
    await post_comment(client, site, thread="old-news")
    await post_comment(client, site, thread="old-news")  # still open on the first day
    later[0] = utcnow() + timedelta(days=3, minutes=1)
    refused = await client.post(f"/v1/sites/{site}/threads/old-news/comments", json=comment_body())
    assert refused.status == 409 and (await refused.json())["error"]["code"] == "thread_closed"
    assert (await (await client.get(f"/v1/sites/{site}/threads/old-news")).json())["closed"]
    # A new thread is new: its own first comment starts its days.
    await post_comment(client, site, thread="breaking")
    # A moderator's reopening outlasts the auto-close.
    await close(client, site, await moderator(pool, site), "old-news", closed=False)
    await post_comment(client, site, thread="old-news")


async def test_the_closed_check_holds_for_comments_stored_one_by_one(make_client, pool, site):
    # A retry with an Idempotency-Key takes the single-row path (moderation.comments.store.accept).
    client = await make_client(workers=0)
    url = f"/v1/sites/{site}/threads/retry/comments"
    payload = comment_body("Sent twice.")
    first = await client.post(url, json=payload, headers={"Idempotency-Key": "k1"})
    assert first.status == 202
    await close(client, site, await moderator(pool, site), "retry")
    again = await client.post(url, json=payload, headers={"Idempotency-Key": "k1"})
    assert again.status == 409
    await drain(pool)


async def test_closing_needs_a_moderator_of_this_site(client, pool, site, new_site):
    other = await new_site()
    others_token = await moderator(pool, other)
    url = f"/v1/sites/{site}/threads/t"
    assert (await client.patch(url, json={"closed": True})).status == 401
    assert (await client.patch(url, json={"closed": True}, headers=bearer(others_token))).status == 404
    token = await moderator(pool, site)
    bad = await client.patch(url, json={"closed": "soon"}, headers=bearer(token))
    assert bad.status == 422 and (await bad.json())["error"]["code"] == "validation_failed"
    assert (await client.patch(url, json={}, headers=bearer(token))).status == 422
    assert not (await (await client.get(url)).json())["closed"]


async def test_auto_close_days_is_a_validated_site_setting(client, pool, site):
    admin = bearer(await sites.create_token(pool, site, "admin", "ada"))
    url = f"/v1/sites/{site}/settings"
    settings = await (await client.get(url, headers=admin)).json()
    assert settings["auto_close_days"] is None
    assert (await client.put(url, json={**settings, "auto_close_days": 0}, headers=admin)).status == 422
    response = await client.put(url, json={**settings, "auto_close_days": 14}, headers=admin)
    assert response.status == 200, await response.text()
    assert (await (await client.get(url, headers=admin)).json())["auto_close_days"] == 14
