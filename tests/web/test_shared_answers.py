"""Shared answers (moderation.web.shared_answers): the rating and thread-page reads of `serve` are
answered from memory for the cache time, each still with its own request id, metrics and 304."""

from __future__ import annotations

import logging

from aiohttp import web

from moderation.web.shared_answers import FRONT_CACHE, ROUTE, SHARE_FOR, FrontCache, entry_size
from tests.factories import drain, post_rating
from tests.helpers import metric


async def test_a_rating_is_shared_for_the_cache_time_with_its_etag(serve_with_clock, pool, site):
    client, now = serve_with_clock
    url = f"/v1/sites/{site}/authors/killian-jones/rating"
    first = await client.get(url)
    assert first.headers["Cache-Control"] == "public, max-age=30"
    await post_rating(client, site, score=5)
    await drain(pool)
    shared = await client.get(url)
    assert (await shared.json())["count"] == 0  # the answer of a moment ago
    assert shared.headers["ETag"] == first.headers["ETag"]
    assert shared.headers["X-Request-Id"] != first.headers["X-Request-Id"]
    assert shared.headers["Content-Type"] == "application/json"
    not_modified = await client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert not_modified.status == 304 and not_modified.headers["ETag"] == first.headers["ETag"]
    now[0] = 1.5  # the cache time has passed
    fresh = await client.get(url)
    assert (await fresh.json())["count"] == 1
    assert fresh.headers["ETag"] != first.headers["ETag"]
    text = await (await client.get("/metrics")).text()
    assert metric(text, "moderation_http_requests_total", method="GET",
                  route="/v1/sites/{site}/authors/{author}/rating", status="200") == 3
    assert metric(text, "moderation_http_requests_total", method="GET",
                  route="/v1/sites/{site}/authors/{author}/rating", status="304") == 1


async def test_a_thread_page_is_shared_per_query_and_origin(serve_with_clock, pool, new_site):
    client, now = serve_with_clock
    site = await new_site(["https://news.example"])
    url = f"/v1/sites/{site}/threads/shared/comments"
    assert (await (await client.get(url)).json())["total"] == 0
    posted = await client.post(url, json={"body": "First!", "commenter": {"name": "Ann"}})
    assert posted.status == 202  # writes are never answered from memory
    await drain(pool)
    assert (await (await client.get(url)).json())["total"] == 0
    other_query = await (await client.get(url + "?sort=newest")).json()
    assert [c["body"] for c in other_query["items"]] == ["First!"]

    from_widget = await client.get(url, headers={"Origin": "https://news.example"})
    assert from_widget.headers["Access-Control-Allow-Origin"] == "https://news.example"
    again = await client.get(url, headers={"Origin": "https://news.example"})
    assert again.headers["Access-Control-Allow-Origin"] == "https://news.example"
    foreign = await client.get(url, headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in foreign.headers
    assert foreign.headers["Vary"] == "Origin"

    now[0] = 1.5
    fresh = await (await client.get(url)).json()
    assert fresh["total"] == 1 and fresh["items"][0]["author"]["name"] == "Ann"


async def test_failures_are_never_shared(serve_with_clock, site):
    client, _ = serve_with_clock
    unknown = f"/v1/sites/{site}x/authors/killian-jones/rating"
    assert (await client.get(unknown)).status == 404
    assert (await client.get(unknown)).status == 404
    invalid = f"/v1/sites/{site}/threads/t/comments?limit=0"
    assert (await client.get(invalid)).status == 422
    assert (await client.get(invalid)).status == 422
    assert client.server.app[FRONT_CACHE].size[0] == 0


def shareable(body: bytes = b"{}", origin: str | None = None) -> web.Response:
    response = web.Response(body=body, content_type="application/json")
    response[SHARE_FOR] = 1.0
    response[ROUTE] = "/v1/sites/{site}/threads/{thread}/comments"
    if origin is not None:
        response.headers["Access-Control-Allow-Origin"] = origin
    return response


def test_the_shared_answers_stay_within_their_bounds():
    now = [0.0]
    cache = FrontCache(clock=lambda: now[0], max_bytes=64 * 1024, max_entries=10)
    for n in range(25):  # a flood of distinct URLs
        cache._keep((f"/v1/sites/s/threads/t{n}/comments", None), shareable())
    assert cache.size[0] <= 10
    long_origin = "https://" + "x" * 4000 + ".example"
    cache._keep(("/long", long_origin), shareable(origin=long_origin))
    assert cache.size[1] >= 4000  # keys count, not only bodies
    for n in range(40):
        cache._keep((f"/big{n}", None), shareable(b"x" * 8000))
    assert cache.size[1] <= 64 * 1024


def test_expired_answers_make_room_before_live_ones():
    now = [0.0]
    cache = FrontCache(clock=lambda: now[0], max_entries=10)
    for n in range(6):
        cache._keep((f"/old{n}", None), shareable())
    now[0] = 2.0  # the six have expired
    for n in range(6):
        cache._keep((f"/new{n}", None), shareable())
    assert cache.size[0] == 6  # the expired six went, the live ones stayed


def test_an_answer_renewed_under_its_key_is_counted_once():
    now = [0.0]
    cache = FrontCache(clock=lambda: now[0])
    key = ("/v1/sites/s/authors/a/rating", None)
    for renewal in range(5):  # each time after the last one expired, and twice at once
        now[0] = renewal * 2.0
        cache._keep(key, shareable(b"x" * 100))
        cache._keep(key, shareable(b"x" * 100))
    assert cache.size == (1, entry_size(key, b"x" * 100))


def test_answers_for_an_origin_the_site_refuses_are_not_kept():
    cache = FrontCache()
    cache._keep(("/page", "https://evil.example"), shareable())
    cache._keep(("/page", "https://news.example"), shareable(origin="https://news.example"))
    cache._keep(("/page", None), shareable())
    assert cache.size[0] == 2


async def test_a_shared_answer_still_gets_its_own_log_line(serve_with_clock, site, caplog):
    client, _ = serve_with_clock
    url = f"/v1/sites/{site}/threads/logged/comments"
    with caplog.at_level(logging.INFO, logger="moderation.access"):
        first = await client.get(url)
        shared = await client.get(url, headers={"X-Request-Id": "reader-2"})
    lines = [r.fields for r in caplog.records if r.name == "moderation.access"]
    assert [line["request_id"] for line in lines] == [first.headers["X-Request-Id"], "reader-2"]
    assert shared.headers["X-Request-Id"] == "reader-2"
    assert client.server.app[FRONT_CACHE].size[0] == 1  # the second one was the shared answer
    assert {line["route"] for line in lines} == {"/v1/sites/{site}/threads/{thread}/comments"}
