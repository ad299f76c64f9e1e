"""Reading a thread: keyset pages of approved top-level comments, each with its first replies,
and the rest of a comment's replies paged on their own."""

from __future__ import annotations

from moderation.identity.signing import Signer
from moderation.sites import store as sites
from tests.conftest import REPLIES_CAP
from tests.factories import drain, post_comment, site_settings


async def seed_thread(client, pool, site, thread: str, top_level: int) -> list[str]:
    """Posts top_level comments, every tenth with two replies (one nested), and decides them."""
    # One test client posting hundreds of comments a second is a flood by design; not here.
    await sites.save_settings(pool, site, site_settings(rules={"flood": {"enabled": False}}))
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
        assert (first["reply_count"], first["replies_cursor"]) == (2, None)


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
    assert page == {"thread": "nothing-yet", "total": 0, "closed": False, "edit_window_s": 900,
                    "featured": [], "email_replies": False, "items": [], "next_cursor": None, "replies_truncated": False}


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



async def post(client, site, thread, body, parent_id=None) -> dict:
    """One reader posting (not a new reader each time, as post_comment's default)."""
    replying = {"parent_id": parent_id} if parent_id else {}
    return await post_comment(client, site, thread, text=body, commenter={"name": "reader"},
                              **replying)


async def seed_replies(client, pool, site, thread: str, replies: int) -> tuple[str, list[str]]:
    """A top-level comment with `replies` replies, every fifth answering the reply before it,
    then a quiet comment with none; all decided. Returns (the comment, its replies in order)."""
    await sites.save_settings(pool, site, site_settings(rules={"flood": {"enabled": False}}))
    top = await post(client, site, thread, "The council vote was closer than the article suggests.")
    ids = []
    for n in range(replies):
        parent = ids[-1] if n % 5 == 4 else top["id"]
        ids.append((await post(client, site, thread, f"reply number {n}", parent))["id"])
    await post(client, site, thread, "a quiet comment")
    await drain(pool)
    return top["id"], ids


async def get_json(client, url: str, status: int = 200) -> dict:
    response = await client.get(url)
    assert response.status == status, await response.text()
    return await response.json()


async def test_a_page_caps_each_comments_replies_and_says_where_to_read_on(make_client, pool,
                                                                            site):
    client = await make_client(workers=0)
    top, reply_ids = await seed_replies(client, pool, site, "viral", 45)
    for sort in ("oldest", "newest"):
        page = await get_json(client, f"/v1/sites/{site}/threads/viral/comments?sort={sort}")
        viral, quiet = sorted(page["items"], key=lambda item: item["id"] != top)
        # The first replies, oldest first under either order, each still saying what it answers.
        assert [r["id"] for r in viral["replies"]] == reply_ids[:REPLIES_CAP]
        assert viral["replies"][4]["parent_id"] == reply_ids[3]
        assert viral["replies"][5]["parent_id"] == top
        assert viral["reply_count"] == 45
        assert viral["replies_cursor"]
        assert (quiet["replies"], quiet["reply_count"], quiet["replies_cursor"]) == ([], 0, None)
        assert page["total"] == 47


async def test_a_comment_with_exactly_the_cap_of_replies_has_no_more(make_client, pool, site):
    client = await make_client(workers=0)
    top, reply_ids = await seed_replies(client, pool, site, "full", REPLIES_CAP)
    page = await get_json(client, f"/v1/sites/{site}/threads/full/comments")
    item = next(item for item in page["items"] if item["id"] == top)
    assert [r["id"] for r in item["replies"]] == reply_ids
    assert (item["reply_count"], item["replies_cursor"]) == (REPLIES_CAP, None)


async def read_replies(client, site, top, limit, cursor=None) -> list[dict]:
    pages = []
    while True:
        query = f"limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        pages.append(await get_json(client, f"/v1/sites/{site}/comments/{top}/replies?{query}"))
        cursor = pages[-1]["next_cursor"]
        if cursor is None:
            return pages


async def test_paging_the_replies_returns_each_once_in_order(make_client, pool, site):
    client = await make_client(workers=0)
    top, reply_ids = await seed_replies(client, pool, site, "paged", 45)
    # From the start: seven pages of up to seven, the last one short, never an empty one.
    pages = await read_replies(client, site, top, 7)
    assert [len(p["items"]) for p in pages] == [7] * 6 + [3]
    assert [r["id"] for p in pages for r in p["items"]] == reply_ids
    assert all(p["comment"] == top for p in pages)
    assert pages[0]["items"][4]["parent_id"] == reply_ids[3]
    # From where the thread page stopped: the rest, after the replies it showed.
    page = await get_json(client, f"/v1/sites/{site}/threads/paged/comments?sort=newest")
    item = next(item for item in page["items"] if item["id"] == top)
    rest = await read_replies(client, site, top, 10, item["replies_cursor"])
    assert [len(p["items"]) for p in rest] == [10, 10, 5]
    shown = [r["id"] for r in item["replies"]] + [r["id"] for p in rest for r in p["items"]]
    assert shown == reply_ids
    # The default page is 50: all of them at once.
    everything = await get_json(client, f"/v1/sites/{site}/comments/{top}/replies")
    assert [r["id"] for r in everything["items"]] == reply_ids
    assert everything["next_cursor"] is None


async def test_only_approved_replies_of_a_listed_comment_are_paged(make_client, pool, site):
    client = await make_client(workers=0)
    top, reply_ids = await seed_replies(client, pool, site, "moderated", 3)
    await pool.execute("UPDATE comments SET status = 'held' WHERE site_id = $1 AND comment_id = $2",
                       site, int(reply_ids[1]))
    await post(client, site, "moderated", "still pending", top)
    page = await get_json(client, f"/v1/sites/{site}/comments/{top}/replies")
    assert [r["id"] for r in page["items"]] == [reply_ids[0], reply_ids[2]]
    thread = await get_json(client, f"/v1/sites/{site}/threads/moderated/comments")
    assert next(i for i in thread["items"] if i["id"] == top)["reply_count"] == 2


async def test_replies_of_what_is_not_a_listed_top_level_comment_are_not_found(make_client, pool,
                                                                                site, new_site):
    client = await make_client(workers=0)
    top, reply_ids = await seed_replies(client, pool, site, "errors", 2)
    deleted = await post(client, site, "errors", "deleted by its writer")
    await drain(pool)
    response = await client.delete(f"/v1/sites/{site}/comments/{deleted['id']}",
                                   headers={"X-Edit-Token": deleted["edit_token"]})
    assert response.status == 200
    pending = await post(client, site, "errors", "not decided yet")  # no worker runs here
    other_site = await new_site()
    for url in (f"/v1/sites/{site}/comments/999999999999/replies",
                f"/v1/sites/{site}/comments/{reply_ids[0]}/replies",  # a reply has no replies page
                f"/v1/sites/{site}/comments/{pending['id']}/replies",
                f"/v1/sites/{site}/comments/{deleted['id']}/replies",
                f"/v1/sites/{site}/comments/not-an-id/replies",
                f"/v1/sites/{other_site}/comments/{top}/replies"):
        body = await get_json(client, url, 404)
        assert body["error"]["code"] == "not_found", url


async def test_forged_and_foreign_cursors_and_bad_limits_are_refused(make_client, pool, site):
    client = await make_client(workers=0)
    top, _ = await seed_replies(client, pool, site, "cursors", 25)
    other, _ = await seed_replies(client, pool, site, "cursors-2", 25)
    page = await get_json(client, f"/v1/sites/{site}/threads/cursors/comments?limit=1")
    other_page = await get_json(client, f"/v1/sites/{site}/threads/cursors-2/comments")
    replies_cursor = page["items"][0]["replies_cursor"]
    refused = [
        Signer("another-secret-key-0123456789").sign_cursor(f"replies:{top}|0|0"),  # forged
        replies_cursor[:-4] + ("AAAA" if not replies_cursor.endswith("AAAA") else "BBBB"),
        "garbage",
        page["next_cursor"],  # the thread page's cursor is not a replies cursor
        next(i for i in other_page["items"] if i["id"] == other)["replies_cursor"],  # another's
    ]
    for cursor in refused:
        body = await get_json(client, f"/v1/sites/{site}/comments/{top}/replies?cursor={cursor}",
                              400)
        assert body["error"]["code"] == "invalid_cursor"
    # Nor does a replies cursor page a thread.
    thread_page = f"/v1/sites/{site}/threads/cursors/comments?cursor={replies_cursor}"
    assert (await get_json(client, thread_page, 400))["error"]["code"] == "invalid_cursor"
    for query in ("limit=0", "limit=101", "limit=many", "limit=-1", "sort=newest"):
        body = await get_json(client, f"/v1/sites/{site}/comments/{top}/replies?{query}", 422)
        assert body["error"]["code"] == "validation_failed"


async def test_a_replies_page_is_shared_like_the_thread_page(serve_with_clock, pool, site):
    client, now = serve_with_clock
    top, reply_ids = await seed_replies(client, pool, site, "shared", 2)
    url = f"/v1/sites/{site}/comments/{top}/replies"
    assert len((await get_json(client, url))["items"]) == 2
    await post(client, site, "shared", "a late reply", top)
    await drain(pool)
    assert len((await get_json(client, url))["items"]) == 2  # the answer of a moment ago
    now[0] = 1.5  # the page cache time has passed
    assert len((await get_json(client, url))["items"]) == 3


async def test_a_page_carries_at_most_its_cap_of_replies_in_all_and_says_so(make_client, pool,
                                                                             site):
    """100 comments with 100 replies of 5,000 characters made one page of 50 MB: a page carries
    PAGE_MAX_REPLIES in all, the first comments' first, and the rest are a cursor away."""
    client = await make_client(workers=0, page_max_replies=5)
    await sites.save_settings(pool, site, site_settings(rules={"flood": {"enabled": False}}))
    tops = []
    for n in range(3):
        top = await post(client, site, "busy", f"comment {n}")
        tops.append((top["id"], [(await post(client, site, "busy", f"reply {n}.{k}", top["id"]))["id"]
                                 for k in range(3)]))
    await drain(pool)
    page = await get_json(client, f"/v1/sites/{site}/threads/busy/comments")
    assert page["replies_truncated"] is True
    shown = {item["id"]: [r["id"] for r in item["replies"]] for item in page["items"]}
    assert shown == {tops[0][0]: tops[0][1], tops[1][0]: tops[1][1][:2], tops[2][0]: []}
    assert [item["reply_count"] for item in page["items"]] == [3, 3, 3]
    assert page["items"][0]["replies_cursor"] is None
    for (top, replies), item in zip(tops[1:], page["items"][1:]):
        rest = await get_json(client, f"/v1/sites/{site}/comments/{top}/replies?"
                                      f"cursor={item['replies_cursor']}")
        assert [r["id"] for r in rest["items"]] == replies[len(item["replies"]):]
    roomy = await make_client(workers=0)
    whole = await get_json(roomy, f"/v1/sites/{site}/threads/busy/comments")
    assert whole["replies_truncated"] is False
    assert sum(len(item["replies"]) for item in whole["items"]) == 9
