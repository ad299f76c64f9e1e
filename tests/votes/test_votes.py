"""Votes: one per reader, changeable and withdrawable, exact counts under concurrency, sort=best by
the Wilson lower bound, the vote-flood rule, rate limits, and the bad input cases."""

from __future__ import annotations

import asyncio
import math

from moderation.sites import store as sites
from moderation.sites.settings import RateLimit, VoteFlood
from tests.factories import NO_RATE_LIMITS, drain, post_comment, site_settings


def reader(n: int, network: int | None = None) -> dict[str, str]:
    """A reader's address: each in a /24 of its own unless a shared one is given."""
    if network is None:
        return {"X-Forwarded-For": f"198.51.{n % 250}.7"}
    return {"X-Forwarded-For": f"203.0.{network}.{n + 1}"}


async def vote(client, site, comment_id: str, value, who: dict | None = None, status: int = 200):
    response = await client.post(f"/v1/sites/{site}/comments/{comment_id}/votes",
                                 json={"value": value}, headers=who or reader(0))
    assert response.status == status, await response.text()
    return await response.json()


async def published(client, pool, site, thread: str = "t", n: int = 1) -> list[str]:
    ids = [(await post_comment(client, site, thread=thread, text=f"Comment number {i} here."))["id"]
           for i in range(n)]
    await drain(pool)
    return ids


async def no_flood_rules(pool, site, **settings) -> None:
    await sites.save_settings(pool, site, site_settings(
        rules={"flood": {"enabled": False}, "duplicate": {"enabled": False}}, **settings))


def wilson(up: int, down: int, z: float = 1.28) -> float:
    n = up + down
    if n == 0:
        return 0.0
    p = up / n
    return (p + z * z / (2 * n) - z * math.sqrt((p * (1 - p) + z * z / (4 * n)) / n)) / (1 + z * z / n)


async def test_one_vote_per_reader_changeable_and_withdrawable(make_client, pool, site):
    client = await make_client(workers=0)
    [comment] = await published(client, pool, site)
    assert await vote(client, site, comment, 1) == {"up": 1, "down": 0}
    assert await vote(client, site, comment, 1) == {"up": 1, "down": 0}  # still one vote
    assert await vote(client, site, comment, -1) == {"up": 0, "down": 1}
    assert await vote(client, site, comment, 1, reader(1)) == {"up": 1, "down": 1}
    assert await vote(client, site, comment, 0) == {"up": 1, "down": 0}
    assert await vote(client, site, comment, 0) == {"up": 1, "down": 0}  # nothing to withdraw
    shown = await (await client.get(f"/v1/sites/{site}/comments/{comment}")).json()
    assert shown["votes"] == {"up": 1, "down": 0} and shown["featured"] is False
    page = await (await client.get(f"/v1/sites/{site}/threads/t/comments")).json()
    assert page["items"][0]["votes"] == {"up": 1, "down": 0}


async def test_counts_stay_exact_under_concurrent_votes(make_client, pool, site):
    client = await make_client(workers=0)
    [comment] = await published(client, pool, site)
    answers = await asyncio.gather(*(
        vote(client, site, comment, 1 if n % 3 else -1, reader(n)) for n in range(60)))
    assert {"up": 40, "down": 20} in answers
    shown = await (await client.get(f"/v1/sites/{site}/comments/{comment}")).json()
    assert shown["votes"] == {"up": 40, "down": 20}
    await asyncio.gather(*(vote(client, site, comment, 0, reader(n)) for n in range(0, 60, 2)))
    shown = await (await client.get(f"/v1/sites/{site}/comments/{comment}")).json()
    assert shown["votes"] == {"up": 20, "down": 10}


async def test_best_orders_by_the_wilson_lower_bound_ties_newest_first(make_client, pool, site):
    client = await make_client(workers=0)
    await no_flood_rules(pool, site)
    ids = await published(client, pool, site, thread="best", n=5)
    votes = {ids[0]: (1, 0), ids[1]: (6, 2), ids[2]: (4, 0), ids[3]: (0, 0), ids[4]: (0, 0)}
    voter = 0
    for comment, (up, down) in votes.items():
        for value in [1] * up + [-1] * down:
            voter += 1
            await vote(client, site, comment, value, reader(voter))
    expected = sorted(ids, key=lambda c: (wilson(*votes[c]), int(c)), reverse=True)
    assert expected[:3] == [ids[2], ids[1], ids[0]] and expected[3:] == [ids[4], ids[3]]
    seen, cursor = [], None
    while True:  # two at a time, so the keyset cursor of sort=best is used
        query = "sort=best&limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = await (await client.get(f"/v1/sites/{site}/threads/best/comments?{query}")).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == expected
    # A cursor of one order is refused by another.
    first = await (await client.get(f"/v1/sites/{site}/threads/best/comments?sort=best&limit=2")).json()
    wrong = await client.get(f"/v1/sites/{site}/threads/best/comments?sort=newest&cursor={first['next_cursor']}")
    assert wrong.status == 400


async def test_a_burst_from_one_network_is_held_not_counted(make_client, pool, site):
    client = await make_client(workers=0)
    await no_flood_rules(pool, site, vote_flood=VoteFlood(max_votes=3, window_s=600))
    [comment] = await published(client, pool, site)
    answers = [await vote(client, site, comment, 1, reader(n, network=7)) for n in range(6)]
    assert [a["up"] for a in answers] == [1, 2, 3, 3, 3, 3]
    assert await pool.fetchval("SELECT count(*) FROM votes WHERE site_id = $1 AND NOT counted",
                               site) == 3
    # Readers elsewhere still count, and a held vote changed or withdrawn changes no count.
    assert await vote(client, site, comment, 1, reader(1, network=8)) == {"up": 4, "down": 0}
    assert await vote(client, site, comment, -1, reader(5, network=7)) == {"up": 4, "down": 0}
    assert await vote(client, site, comment, 0, reader(5, network=7)) == {"up": 4, "down": 0}
    # A counted vote changed keeps counting.
    assert await vote(client, site, comment, -1, reader(0, network=7)) == {"up": 3, "down": 1}


async def test_votes_are_rate_limited_per_address(make_client, pool, site):
    client = await make_client(workers=0)
    limits = NO_RATE_LIMITS.model_copy(update={"vote": RateLimit(per_address=2, window_s=60)})
    await no_flood_rules(pool, site, rate_limits=limits)
    comments = await published(client, pool, site, n=3)
    await vote(client, site, comments[0], 1)
    await vote(client, site, comments[1], 1)
    refused = await client.post(f"/v1/sites/{site}/comments/{comments[2]}/votes",
                                json={"value": 1}, headers=reader(0))
    assert refused.status == 429 and refused.headers["Retry-After"]
    assert (await refused.json())["error"]["code"] == "rate_limited"
    assert await vote(client, site, comments[2], 1, reader(9)) == {"up": 1, "down": 0}


async def test_unknown_unpublished_and_other_sites_comments_are_not_found(make_client, pool, site,
                                                                        new_site):
    client = await make_client(workers=0)
    other = await new_site()
    [theirs] = await published(client, pool, other)
    pending = await post_comment(client, site, text="Not decided yet.")
    for target in (theirs, pending["id"], "999999999999", "abc"):
        refused = await client.post(f"/v1/sites/{site}/comments/{target}/votes", json={"value": 1})
        assert refused.status == 404, target
        assert (await refused.json())["error"]["code"] == "not_found"
    await drain(pool)
    assert await pool.fetchval("SELECT count(*) FROM votes WHERE site_id = $1", site) == 0


async def test_values_other_than_up_down_or_withdraw_are_refused(make_client, pool, site):
    client = await make_client(workers=0)
    [comment] = await published(client, pool, site)
    url = f"/v1/sites/{site}/comments/{comment}/votes"
    for body in ({"value": 2}, {"value": "1"}, {"value": True}, {"value": 1.5}, {},
                 {"value": 1, "extra": 1}):
        response = await client.post(url, json=body)
        assert response.status == 422, body
        assert (await response.json())["error"]["code"] == "validation_failed"
    assert (await client.post(url, data="{", headers={"Content-Type": "application/json"})).status == 400
    assert await pool.fetchval("SELECT count(*) FROM votes WHERE site_id = $1", site) == 0


async def test_votes_on_a_closed_thread_are_refused(make_client, pool, site):
    client = await make_client(workers=0)
    [comment] = await published(client, pool, site, thread="shut")
    await vote(client, site, comment, 1)
    token = await sites.create_token(pool, site, "moderator", "mona")
    await client.patch(f"/v1/sites/{site}/threads/shut", json={"closed": True},
                       headers={"Authorization": f"Bearer {token}"})
    refused = await client.post(f"/v1/sites/{site}/comments/{comment}/votes", json={"value": -1},
                                headers=reader(0))
    assert refused.status == 409 and (await refused.json())["error"]["code"] == "thread_closed"
    shown = await (await client.get(f"/v1/sites/{site}/comments/{comment}")).json()
    assert shown["votes"] == {"up": 1, "down": 0}
