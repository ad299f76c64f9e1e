"""Reading a thread: keyset pages of approved top-level comments, each with its replies."""

from __future__ import annotations

from moderation import sites
from moderation.site_settings import SiteSettings
from tests.factories import drain


async def seed_thread(client, pool, site, thread: str, top_level: int) -> list[str]:
    """Posts top_level comments, every tenth with two replies (one nested), and decides them."""
    # One test client posting hundreds of comments a second is a flood by design; not here.
    await sites.save_settings(pool, site, SiteSettings(rules={"flood": {"enabled": False}}))
    ids = []
    url = f"/v1/sites/{site}/threads/{thread}/comments"
    for n in range(top_level):
        accepted = await (await client.post(url, json={
            "body": f"comment number {n}", "commenter": {"name": f"r{n}"}})).json()
        ids.append(accepted["id"])
        if n % 10 == 0:
            reply = await (await client.post(url, json={
                "body": f"reply to {n}", "commenter": {"name": "replier"},
                "parent_id": accepted["id"]})).json()
            await client.post(url, json={"body": f"reply to reply of {n}",
                                         "commenter": {"name": "replier"},
                                         "parent_id": reply["id"]})
    await drain(pool)
    return ids


async def read_all(client, site, thread, sort, limit):
    pages, cursor = [], None
    while True:
        query = f"sort={sort}&limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        response = await client.get(f"/v1/sites/{site}/threads/{thread}/comments?{query}")
        assert response.status == 200
        page = await response.json()
        pages.append(page)
        cursor = page["next_cursor"]
        if cursor is None:
            return pages


async def test_pages_over_250_comments_in_both_orders(make_client, pool, site):
    client = await make_client(workers=0)
    ids = await seed_thread(client, pool, site, "long", 250)
    for sort, expected in (("oldest", ids), ("newest", ids[::-1])):
        pages = await read_all(client, site, "long", sort, 40)
        assert len(pages) == 7
        seen = [item["id"] for page in pages for item in page["items"]]
        assert seen == expected
        assert all(page["total"] == 250 + 2 * 25 for page in pages)
        first = next(item for page in pages for item in page["items"] if item["id"] == ids[0])
        assert [r["body"] for r in first["replies"]] == ["reply to 0", "reply to reply of 0"]
        assert first["replies"][1]["parent_id"] == first["replies"][0]["id"]
        assert first["replies"][0]["parent_id"] == ids[0]


async def test_cursor_of_one_order_is_refused_by_the_other(make_client, pool, site):
    client = await make_client(workers=0)
    await seed_thread(client, pool, site, "short", 3)
    page = await (await client.get(f"/v1/sites/{site}/threads/short/comments?limit=2")).json()
    assert page["next_cursor"]
    response = await client.get(
        f"/v1/sites/{site}/threads/short/comments?sort=newest&cursor={page['next_cursor']}")
    assert response.status == 400


async def test_unknown_thread_is_an_empty_page(client, site):
    page = await (await client.get(f"/v1/sites/{site}/threads/nothing-yet/comments")).json()
    assert page == {"thread": "nothing-yet", "total": 0, "items": [], "next_cursor": None}


async def test_pending_and_rejected_comments_are_not_listed(make_client, pool, site):
    client = await make_client(workers=0)
    url = f"/v1/sites/{site}/threads/mixed/comments"
    await client.post(url, json={"body": "fine comment", "commenter": {"name": "a"}})
    await client.post(url, json={"body": "bot comment", "commenter": {"name": "b"},
                                 "website": "http://bot.example"})
    before = await (await client.get(url)).json()
    assert before["items"] == [] and before["total"] == 0
    await drain(pool)
    after = await (await client.get(url)).json()
    assert [item["body"] for item in after["items"]] == ["fine comment"]
    assert after["total"] == 1
