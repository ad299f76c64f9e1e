"""What moderators and admins read besides the queue: context, waiting counts, people, the
audit by who/what/when, and the rules' activity over a period."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from moderation.sites import store as sites
from tests.factories import decide
from tests.helpers import bearer
from tests.review.test_review import HELD_TEXT, decide_all, post, queue, setup_site


async def test_queue_items_carry_the_article_the_parent_and_recent_outcomes(make_client, pool,
                                                                            site):
    client = await make_client(workers=0)
    mod, _ = await setup_site(pool, site)
    parent = await post(client, site, "The summit was a success, I think.", name="Ann",
                        thread="summit", thread_title="Leaders meet in Vilnius",
                        thread_url="https://news.example/summit")
    earlier = await post(client, site, "An earlier calm remark.", name="Troll", thread="other")
    await decide_all(pool)
    reply = await post(client, site, HELD_TEXT, name="Troll", thread="summit",
                       parent_id=parent["id"])
    await decide_all(pool)
    [item] = await queue(client, site, mod)
    assert item["id"] == reply["id"]
    assert item["thread"] == {"slug": "summit", "title": "Leaders meet in Vilnius",
                              "url": "https://news.example/summit"}
    assert item["parent"]["author"] == "Ann"
    assert item["parent"]["body"] == "The summit was a success, I think."
    assert [(r["id"], r["status"]) for r in item["commenter"]["recent"]] == \
        [(earlier["id"], "approved")]


async def test_waiting_counts_are_exact_past_a_page(make_client, pool, site):
    client = await make_client(workers=0)
    mod, _ = await setup_site(pool, site, premoderation="all")
    for n in range(120):
        await post(client, site, f"Comment number {n} on the article.", name=f"R{n}")
    await decide_all(pool)
    response = await client.get(f"/v1/sites/{site}/queue/waiting", headers=bearer(mod))
    assert await response.json() == {"comment": 120, "rating": 0, "appeal": 0}


async def test_admins_find_people_by_id_email_or_name_start(make_client, pool, site):
    client = await make_client(workers=0)
    mod, admin = await setup_site(pool, site)
    for name, email in (("Maria_Lopez", "maria@example.org"), ("Marc", "Marc@Example.org"),
                        ("Zoe", None)):
        response = await client.post(f"/v1/sites/{site}/threads/t/comments", json={
            "body": "Hello there.", "commenter": {"name": name, "email": email}})
        assert response.status == 202

    async def find(text):
        response = await client.get(f"/v1/sites/{site}/commenters", params={"q": text},
                                    headers=bearer(admin))
        assert response.status == 200, await response.text()
        return [p["name"] for p in (await response.json())["items"]]

    assert await find("mar") == ["Marc", "Maria_Lopez"]
    assert await find("maria_") == ["Maria_Lopez"]
    assert await find("m_r") == []  # _ is a letter here, not a wildcard
    assert await find("marc@example.ORG") == ["Marc"]
    zoe = (await (await client.get(f"/v1/sites/{site}/commenters", params={"q": "zoe"},
                                   headers=bearer(admin))).json())["items"][0]
    assert await find(zoe["id"]) == ["Zoe"] and zoe["comments"] == 1 and not zoe["banned"]
    assert (await client.get(f"/v1/sites/{site}/commenters?q=a", headers=bearer(mod))).status == 403
    assert (await client.get(f"/v1/sites/{site}/commenters?q=", headers=bearer(admin))).status == 422


async def test_audit_filters_by_who_what_and_when(make_client, pool, site):
    client = await make_client(workers=0)
    mod, _ = await setup_site(pool, site)
    max_ = await sites.create_token(pool, site, "moderator", "max")
    first, second = [await post(client, site, HELD_TEXT + f" {n}", name=f"R{n}") for n in range(2)]
    await decide_all(pool)
    for item, token, action in ((first, mod, "approve"), (second, max_, "reject")):
        await decide(client, site, item["id"], action, token,
                     reason_code="spam" if action == "reject" else None)

    async def audit(**filters):
        response = await client.get(f"/v1/sites/{site}/audit", params=filters, headers=bearer(mod))
        assert response.status == 200, await response.text()
        return [(a["actor"], a["action"], a["reason_code"]) for a in (await response.json())["items"]]

    assert await audit(actor="moderator:max") == [("moderator:max", "reject", "spam")]
    assert await audit(actor="moderators") == [("moderator:max", "reject", "spam"),
                                               ("moderator:mona", "approve", None)]
    assert await audit(action="decide") == [("rules", "decide", None)] * 2
    later = (datetime.now(timezone.utc) + timedelta(hours=1)).isoformat()
    assert await audit(since=later) == []
    assert len(await audit(until=later, kind="comment")) == 4


async def test_rule_stats_over_a_chosen_period_with_a_point_a_day(make_client, pool, site):
    client = await make_client(workers=0)
    mod, _ = await setup_site(pool, site)
    held = [await post(client, site, HELD_TEXT + f" {n}", name=f"R{n}") for n in range(3)]
    await decide_all(pool)
    await decide(client, site, held[0]["id"], "approve", mod)
    # One of them fired long ago: outside a week, inside a quarter.
    await pool.execute("UPDATE verdicts SET created_at = now() - interval '20 days' "
                       "WHERE site_id = $1 AND item_id = $2", site, int(held[2]["id"]))
    week = await (await client.get(f"/v1/sites/{site}/rules/stats?days=7",
                                   headers=bearer(mod))).json()
    suspect = next(r for r in week["activity"] if r["rule"] == "suspect_words")
    assert week["days"] == 7 and (suspect["fired"], suspect["overturned"]) == (2, 1)
    assert suspect["days"] == [{"day": suspect["days"][0]["day"], "fired": 2, "overturned": 1}]
    quarter = await (await client.get(f"/v1/sites/{site}/rules/stats?days=90",
                                      headers=bearer(mod))).json()
    suspect = next(r for r in quarter["activity"] if r["rule"] == "suspect_words")
    assert suspect["fired"] == 3 and len(suspect["days"]) == 2
    bad = await client.get(f"/v1/sites/{site}/rules/stats?days=0", headers=bearer(mod))
    assert bad.status == 422
