"""The public rating API end to end: rate, decide, read with ETags, list, JSON-LD, bursts."""

from __future__ import annotations

import asyncio

import pytest

from moderation.sites import store as sites
from tests.factories import drain, fingerprint, new_ip, post_rating, site_settings
from tests.ratings.checks import assert_aggregates_exact, rating_statuses


async def rating(client, site, author="killian-jones", headers=None):
    response = await client.get(f"/v1/sites/{site}/authors/{author}/rating", headers=headers or {})
    return response


async def test_rating_is_pending_then_counted_with_etag_and_304(make_client, pool, site):
    client = await make_client(workers=0)
    accepted = await post_rating(client, site, score=4)
    assert accepted["status"] == "pending" and accepted["id"]
    assert await pool.fetchval("SELECT count(*) FROM jobs WHERE site_id = $1 AND kind = 'rating'",
                               site) == 1
    before = await rating(client, site)
    assert (await before.json())["count"] == 0
    await drain(pool)
    response = await rating(client, site)
    assert response.status == 200
    shown = await response.json()
    assert shown["author"] == "killian-jones" and shown["count"] == 1
    assert shown["average"] == 4.0
    assert shown["histogram"] == {"1": 0, "2": 0, "3": 0, "4": 1, "5": 0}
    assert shown["confidence"]["low"] < 4.0 < shown["confidence"]["high"]
    etag = response.headers["ETag"]
    assert etag.startswith('"') and etag != before.headers["ETag"]
    assert "max-age=" in response.headers["Cache-Control"]
    cached = await rating(client, site, headers={"If-None-Match": etag})
    assert cached.status == 304 and cached.headers["ETag"] == etag
    assert await cached.read() == b""
    other = await rating(client, site, headers={"If-None-Match": '"something-else"'})
    assert other.status == 200


async def test_unknown_author_counts_zero_and_unknown_site_is_404(client, site):
    shown = await (await rating(client, site, author="nobody")).json()
    assert shown["count"] == 0 and shown["average"] is None
    assert shown["histogram"] == {"1": 0, "2": 0, "3": 0, "4": 0, "5": 0}
    missing = await rating(client, "no-such-site")
    assert missing.status == 404
    assert (await missing.json())["error"]["code"] == "not_found"
    bad = await rating(client, site, author="x" * 300)
    assert bad.status == 422


async def test_invalid_ratings_are_422_and_store_nothing(client, site, pool):
    url = f"/v1/sites/{site}/authors/kj/ratings"
    for body in ({"score": 0}, {"score": 6}, {"score": 4.5}, {"score": "4"}, {"score": True},
                 {}, {"score": 3, "rater": {"fingerprint": ""}}, {"score": 3, "extra": 1}):
        response = await client.post(url, json=body)
        assert response.status == 422, body
        assert (await response.json())["error"]["code"] == "validation_failed"
    assert await pool.fetchval("SELECT count(*) FROM ratings WHERE site_id = $1", site) == 0


async def test_held_ratings_are_not_counted_and_replacement_moves_the_score(make_client, pool,
                                                                            site):
    client = await make_client(workers=0)
    me = fingerprint()
    await post_rating(client, site, score=5, fingerprint_=me)
    await post_rating(client, site, score=3)
    await drain(pool)
    await post_rating(client, site, score=1, fingerprint_=me)  # changes my mind
    await drain(pool)
    shown = await (await rating(client, site)).json()
    assert (shown["count"], shown["average"]) == (2, 2.0)
    held = await post_rating(client, site, score=5)
    await pool.execute("UPDATE ratings SET status = 'held' WHERE site_id = $1 AND rating_id = $2",
                       site, int(held["id"]))
    await drain(pool)
    assert (await (await rating(client, site)).json())["count"] == 2
    await assert_aggregates_exact(pool, site)


async def test_200_concurrent_ratings_from_distinct_raters_give_an_exact_aggregate(
        make_client, pool, site):
    # This test is about concurrency, not about bursts: the burst rules stand aside.
    await sites.save_settings(pool, site, site_settings(
        allowed_origins=["https://news.example"],
        rules={"brigading": {"enabled": False}, "rating_flood": {"enabled": False}}))
    client = await make_client(workers=2, batch_size=20)
    scores = [1 + i % 5 for i in range(200)]
    await asyncio.gather(*(post_rating(client, site, score=s) for s in scores))

    async def all_decided():
        return await pool.fetchval("SELECT count(*) FROM ratings WHERE site_id = $1 "
                                   "AND status = 'approved'", site) == 200
    from tests.conftest import wait_for
    await wait_for(all_decided, timeout=30)
    shown = await (await rating(client, site)).json()
    assert shown["count"] == 200 and shown["average"] == sum(scores) / 200
    assert shown["histogram"] == {str(k): 40 for k in range(1, 6)}
    await assert_aggregates_exact(pool, site)


async def test_many_authors_at_once_and_json_ld(make_client, pool, site):
    client = await make_client(workers=0)
    await post_rating(client, site, author="a", score=5)
    await post_rating(client, site, author="b", score=2)
    empty_ld = await client.get(f"/v1/sites/{site}/authors/a/rating.jsonld")
    assert empty_ld.status == 404
    await drain(pool)
    listed = await client.get(f"/v1/sites/{site}/ratings?author=a&author=b&author=c")
    assert listed.status == 200 and listed.headers["ETag"]
    body = await listed.json()
    assert {k: v["count"] for k, v in body["ratings"].items()} == {"a": 1, "b": 1, "c": 0}
    assert body["ratings"]["b"]["average"] == 2.0
    too_many = "&".join(f"author=x{i}" for i in range(101))
    assert (await client.get(f"/v1/sites/{site}/ratings?{too_many}")).status == 422
    ld = await client.get(f"/v1/sites/{site}/authors/a/rating.jsonld?name=Killian%20Jones")
    assert ld.status == 200 and ld.content_type == "application/ld+json"
    doc = await ld.json(content_type=None)
    assert doc == {"@context": "https://schema.org", "@type": "AggregateRating",
                   "itemReviewed": {"@type": "Person", "name": "Killian Jones"},
                   "ratingValue": 5.0, "ratingCount": 1, "bestRating": 5, "worstRating": 1}
    openapi = await (await client.get("/openapi.json")).json()
    assert "/v1/sites/{site}/authors/{author}/rating" in openapi["paths"]


async def test_ordinary_traffic_is_approved(make_client, pool, site):
    client = await make_client(workers=0, trusted_proxies="127.0.0.1")
    office = new_ip()
    for n in range(6):  # colleagues behind one office address rating their own authors
        await post_rating(client, site, author=f"office-favourite-{n}", ip=office)
    for _ in range(12):  # the first ratings of a new author
        await post_rating(client, site, author="new-author", ip=new_ip())
    await drain(pool)
    assert set((await rating_statuses(pool, site)).values()) == {"approved"}


async def test_one_address_is_one_rater_whatever_its_fingerprints(make_client, pool, site):
    """12 fingerprints from one address once counted as 8 raters; now as one, whose newest
    rating replaces the earlier ones. Verified raters count by account, wherever they are."""
    client = await make_client(workers=0)
    stuffer = new_ip()
    for score in (5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 4):
        await post_rating(client, site, score=score, fingerprint_=fingerprint(), ip=stuffer)
    for address in ("2001:db8:9:9::1", "2001:db8:9:9::2"):  # one IPv6 /64 is one reader too
        await post_rating(client, site, score=1, ip=address)
    await drain(pool)
    shown = await (await rating(client, site)).json()
    assert shown["count"] == 2 and shown["histogram"]["1"] == 1  # the stuffer counts once
    statuses = list((await rating_statuses(pool, site)).values())
    assert statuses.count("approved") == 2
    await assert_aggregates_exact(pool, site)


async def test_one_rater_flooding_is_held(make_client, pool, site):
    client = await make_client(workers=0, trusted_proxies="127.0.0.1")
    me, ip = fingerprint(), new_ip()
    for n in range(12):
        await post_rating(client, site, author=f"author-{n}", fingerprint_=me, ip=ip)
    await drain(pool)
    statuses = sorted((await rating_statuses(pool, site)).items())
    assert [s for _, s in statuses] == ["approved"] * 10 + ["held"] * 2
    reasons = await pool.fetch("SELECT reason FROM verdicts WHERE site_id = $1 AND kind = 'rating' "
                               "AND rule = 'rating_flood' AND action = 'hold'", site)
    assert len(reasons) == 2 and "from this rater" in reasons[0]["reason"]
    # Each held rating's review priority is the sum of its non-allow verdicts' scores.
    priorities = await pool.fetch("""
        SELECT r.priority, sum(v.score) AS scored FROM ratings r
          JOIN verdicts v ON v.site_id = r.site_id AND v.kind = 'rating'
                         AND v.item_id = r.rating_id AND v.action <> 'allow'
         WHERE r.site_id = $1 AND r.status = 'held' GROUP BY r.rating_id, r.priority""", site)
    assert len(priorities) == 2
    assert all(row["priority"] == pytest.approx(row["scored"]) and row["priority"] > 0
               for row in priorities)


async def test_brigading_holds_a_burst_while_a_trickle_is_approved(make_client, pool, site):
    client = await make_client(workers=0, trusted_proxies="127.0.0.1")
    # Ten days of history: a rating a day for the author, and one regular reader.
    await pool.execute("""
        INSERT INTO ratings (site_id, author, rater, score, status, created_at)
        SELECT $1, 'killian-jones', 'anon:old-' || n, 4, 'approved', now() - make_interval(days => n)
          FROM generate_series(1, 10) n""", site)
    regular, regular_ip = fingerprint(), new_ip()
    await post_rating(client, site, score=4, fingerprint_=regular, ip=regular_ip)
    await drain(pool)
    await pool.execute("UPDATE ratings SET created_at = now() - interval '2 days' "
                       "WHERE site_id = $1 AND status = 'approved'", site)
    history = set(await rating_statuses(pool, site))

    burst = [await post_rating(client, site, score=1, ip=new_ip()) for _ in range(30)]
    regular_now = await post_rating(client, site, score=5, fingerprint_=regular, ip=regular_ip)
    trickle = [await post_rating(client, site, author="other-author", score=3, ip=new_ip())
               for _ in range(3)]
    await drain(pool)
    statuses = await rating_statuses(pool, site)
    assert {statuses[int(r["id"])] for r in burst} == {"held"}
    assert statuses[int(regular_now["id"])] == "approved"
    assert {statuses[int(r["id"])] for r in trickle} == {"approved"}
    assert len(history) == 11
    shown = await (await rating(client, site)).json()
    assert shown["count"] == 11 and shown["histogram"]["1"] == 0  # the burst is not counted
    verdict = await pool.fetchval(
        "SELECT reason FROM verdicts WHERE site_id = $1 AND rule = 'brigading' AND action = 'hold' "
        "LIMIT 1", site)
    assert "in the last hour" in verdict


def test_if_none_match_uses_the_weak_comparison():
    from moderation.web.etags import etag_matches
    assert etag_matches('"a"', '"a"') and etag_matches('W/"a"', '"a"')
    assert etag_matches('"b", "a"', '"a"') and etag_matches("*", '"a"')
    assert not etag_matches('"b"', '"a"') and not etag_matches(None, '"a"')
