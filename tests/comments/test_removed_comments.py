"""A top-level comment that leaves the page (rejected, deleted, back in review) keeps its
approved replies readable under a "comment removed" placeholder; the total counts what is shown."""

from __future__ import annotations

from moderation.sites import store as sites
from tests.factories import decide, drain, post_comment, site_settings


async def discussion(client, pool, site, thread: str) -> tuple[dict, list[dict]]:
    """A top-level comment with two approved replies (one nested), decided by the rules."""
    top = await post_comment(client, site, thread=thread, text="The first word on this.")
    reply = await post_comment(client, site, thread=thread, text="A fair reply to it.",
                               parent_id=top["id"])
    nested = await post_comment(client, site, thread=thread, text="And a reply to the reply.",
                                parent_id=reply["id"])
    await drain(pool)
    return top, [reply, nested]


async def page_of(client, site, thread: str) -> dict:
    response = await client.get(f"/v1/sites/{site}/threads/{thread}/comments")
    assert response.status == 200
    return await response.json()


async def setup(make_client, pool, site):
    await sites.save_settings(pool, site, site_settings(
        rules={"flood": {"enabled": False}, "duplicate": {"enabled": False}}, report_threshold=1))
    return await make_client(workers=0)


def placeholder_of(page: dict, top: dict) -> dict:
    [item] = [item for item in page["items"] if item["id"] == top["id"]]
    return item


async def test_a_deleted_comment_keeps_its_replies_under_a_placeholder(make_client, pool, site):
    client = await setup(make_client, pool, site)
    top, replies = await discussion(client, pool, site, "deleted")
    assert (await page_of(client, site, "deleted"))["total"] == 3
    response = await client.delete(f"/v1/sites/{site}/comments/{top['id']}",
                                   headers={"X-Edit-Token": top["edit_token"]})
    assert response.status == 200
    page = await page_of(client, site, "deleted")
    item = placeholder_of(page, top)
    assert item["removed"] is True and item["body"] == "" and item["author"]["name"] == ""
    assert [r["id"] for r in item["replies"]] == [r["id"] for r in replies]
    assert all(not r["removed"] and r["body"] for r in item["replies"])
    assert page["total"] == 2  # the two replies shown; the placeholder is no comment
    # The replies listing of the removed comment still answers.
    rest = await client.get(f"/v1/sites/{site}/comments/{top['id']}/replies")
    assert rest.status == 200 and len((await rest.json())["items"]) == 2
    # The placeholder itself is not a comment anyone can read.
    assert (await client.get(f"/v1/sites/{site}/comments/{top['id']}")).status == 404


async def test_rejected_and_reported_comments_keep_their_replies(make_client, pool, site):
    client = await setup(make_client, pool, site)
    token = await sites.create_token(pool, site, "moderator", "mona")
    rejected, _ = await discussion(client, pool, site, "mixed")
    reported, _ = await discussion(client, pool, site, "mixed")
    decision = await decide(client, site, rejected["id"], "reject", token)
    assert decision.status == 200, await decision.text()
    report = await client.post(f"/v1/sites/{site}/comments/{reported['id']}/reports",
                               json={"reason": "abuse"})
    assert report.status == 202
    page = await page_of(client, site, "mixed")
    for top in (rejected, reported):
        item = placeholder_of(page, top)
        assert item["removed"] and item["body"] == "" and len(item["replies"]) == 2
        assert "first word" not in str(item)
    assert page["total"] == 4


async def test_a_removed_comment_without_approved_replies_is_not_listed(make_client, pool, site):
    client = await setup(make_client, pool, site)
    alone = await post_comment(client, site, thread="alone", text="Nobody answered this one.")
    kept = await post_comment(client, site, thread="alone", text="This one stays.")
    await drain(pool)
    await client.delete(f"/v1/sites/{site}/comments/{alone['id']}",
                        headers={"X-Edit-Token": alone["edit_token"]})
    page = await page_of(client, site, "alone")
    assert [item["id"] for item in page["items"]] == [kept["id"]] and page["total"] == 1
    assert (await client.get(f"/v1/sites/{site}/comments/{alone['id']}/replies")).status == 404
