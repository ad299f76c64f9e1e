"""/demo in a real browser: the article, rating the author, and the whole comment flow."""

from __future__ import annotations

import asyncio
import re
import uuid

from playwright.async_api import expect

from moderation.sites import store as sites
from moderation.sites.settings import SiteSettings
from tests.browser.conftest import deep_active, tab_to
from tests.conftest import wait_for
from tests.factories import make_token

THREAD = "relations-with-russia-have-hit-rock-bottom"
REPORTED = "Thank you for your report. A moderator will take a look."
REPORT_FAILED = "Sorry, your report could not be sent right now. Please try again later."
REPORT_REASON = "Why should a moderator look at this comment?"
# Another reader: the test client comes from 127.0.0.1, a trusted proxy, so X-Forwarded-For
# names the reader (the browser, without the header, is 127.0.0.1 itself).
OTHER_READER = {"X-Forwarded-For": "203.0.113.77"}


async def hold_polls(page) -> asyncio.Event:
    """Holds the widget's status polls until the test has seen "awaiting moderation"."""
    release = asyncio.Event()

    async def held(route):
        await release.wait()
        await route.continue_()

    await page.route("**/v1/sites/demo/comments/*", held)
    return release


def comments_widget(page):
    return page.locator("#moderation-comments")


async def other_readers_comment(app_client, pool, text: str) -> dict:
    """A comment by another reader on the demo article, once the rules have published it."""
    response = await app_client.post(f"/v1/sites/demo/threads/{THREAD}/comments", headers=OTHER_READER,
                                      json={"body": text, "commenter": {"name": "Other Reader"}})
    assert response.status == 202, await response.text()
    comment = await response.json()
    await wait_for(lambda: pool.fetchval(
        "SELECT status = 'approved' FROM comments WHERE site_id = 'demo' AND comment_id = $1",
        int(comment["id"])))
    return comment


async def stored_reasons(pool, comment_id: str) -> list[str]:
    return await pool.fetchval("SELECT coalesce(array_agg(reason), '{}') FROM reports "
                               "WHERE site_id = 'demo' AND comment_id = $1", int(comment_id))


async def test_demo_page_shows_the_article_and_the_widget(page, demo_server):
    response = await page.goto(f"{demo_server}/demo")
    assert response.status == 200
    assert "default-src 'self'" in response.headers["content-security-policy"]
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "“Relations with Russia have hit rock bottom”")
    await expect(page.get_by_text("A week before the Brussels summit")).to_be_visible()
    await expect(page.get_by_text("Author: Killian Jones")).to_be_visible()
    await expect(page.get_by_text("He has been at the USTV since 2017")).to_be_visible()
    await expect(page.get_by_text("Share to friends")).to_be_visible()
    await expect(page.get_by_role("heading", name="Rate author")).to_be_visible()
    widget = comments_widget(page)
    await expect(widget.get_by_role("heading", name="Add a comment")).to_be_visible()
    await expect(widget.get_by_label("Name")).to_be_visible()
    await expect(widget.get_by_label("Comment", exact=True)).to_be_visible()
    await expect(widget.get_by_role("button", name="Post comment")).to_be_visible()
    await expect(widget.locator(".m-count")).to_have_text(re.compile(r"^\d+ comments?$"))
    # The honeypot is in the form for bots but out of sight and out of the tab order.
    honeypot = widget.locator("input[name=website]")
    assert await honeypot.get_attribute("tabindex") == "-1"
    assert (await honeypot.bounding_box())["x"] < 0


async def test_rate_the_author_four_stars_and_see_the_aggregate(page, demo_server):
    await page.goto(f"{demo_server}/demo")
    rating = page.locator(".moderation-comments .m-rating")
    await expect(rating).to_be_visible()
    stars = rating.get_by_role("radio")
    await expect(stars).to_have_count(5)
    before = await rating.locator(".m-agg").text_content()
    await rating.get_by_title("4 stars").click()
    await expect(rating.get_by_role("status")).to_have_text("Thank you! You rated 4 stars.")
    await expect(rating.get_by_role("radio", name="4 stars")).to_be_checked()
    await expect(rating.locator(".m-agg")).not_to_have_text(before)
    await expect(rating.locator(".m-agg")).to_contain_text("out of 5")
    # The reader's own rating is remembered for the next visit.
    await page.reload()
    await expect(rating.get_by_role("radio", name="4 stars")).to_be_checked()
    await expect(rating.get_by_role("status")).to_contain_text("You rated 4 stars")


async def test_post_await_moderation_publish_reply_and_report(page, demo_server, screenshots):
    await page.goto(f"{demo_server}/demo")
    widget = comments_widget(page)
    count = widget.locator(".m-count")
    await expect(count).to_have_text(re.compile(r"^\d+ comments?$"))
    before = int((await count.text_content()).split()[0])
    release = await hold_polls(page)
    text = f"Dialogue is the best way forward. ({uuid.uuid4().hex[:8]})"
    await widget.get_by_label("Name").fill("Anna Reader")
    await widget.get_by_label("Comment", exact=True).fill(text)
    await widget.get_by_role("button", name="Post comment").click()

    mine = widget.locator("article", has_text=text)
    await expect(mine.locator(".m-status")).to_have_text("Awaiting moderation")
    await expect(widget.get_by_label("Comment", exact=True)).to_have_value("")
    release.set()
    await expect(mine.locator(".m-status")).to_have_count(0)
    await expect(mine.get_by_role("button", name="Reply")).to_be_visible()
    await expect(count).to_have_text(re.compile(rf"^{before + 1} comments?$"))

    await mine.get_by_role("button", name="Reply").click()
    reply_text = f"Agreed, but talks need partners. ({uuid.uuid4().hex[:8]})"
    reply_box = widget.get_by_role("textbox", name="Reply to Anna Reader")
    await expect(reply_box).to_be_focused()
    await reply_box.fill(reply_text)
    await widget.get_by_role("button", name="Post reply").click()
    thread = widget.locator("li", has=page.locator("article", has_text=text)).first
    reply = thread.locator(".m-replies article", has_text=reply_text)
    await expect(reply).to_be_visible()
    await expect(reply.get_by_role("button", name="Reply")).to_be_visible()  # published
    await expect(count).to_have_text(re.compile(rf"^{before + 2} comments?$"))

    await mine.get_by_role("button", name="Report").click()
    await mine.get_by_label(REPORT_REASON).select_option("off_topic")
    await mine.get_by_role("button", name="Send report").click()
    await expect(mine.locator(".m-slot")).to_have_text(REPORTED)

    await widget.screenshot(path=str(screenshots / "widget.png"))
    await page.screenshot(path=str(screenshots / "demo.png"), full_page=True)

    # After a reload both comments come from the thread listing, the reply nested under its parent.
    await page.reload()
    listed = widget.locator("li", has=page.locator("article", has_text=text)).first
    await expect(listed.locator(".m-replies article", has_text=reply_text)).to_be_visible()


async def test_report_another_readers_comment_and_it_reaches_the_queue(page, demo_server, app_client,
                                                                      pool):
    text = f"Sanctions alone will not end this. ({uuid.uuid4().hex[:8]})"
    theirs = await other_readers_comment(app_client, pool, text)
    demo = SiteSettings.model_validate(
        await pool.fetchval("SELECT settings FROM sites WHERE site_id = 'demo'"))
    # One report is enough to send a comment back to review here (the default is 3 readers).
    await sites.save_settings(pool, "demo", demo.model_copy(update={"report_threshold": 1}))
    try:
        await page.goto(f"{demo_server}/demo")
        comment = comments_widget(page).locator("article", has_text=text)
        await comment.get_by_role("button", name="Report").click()
        await comment.get_by_label(REPORT_REASON).select_option("off_topic")
        async with page.expect_response(re.compile(r"/reports$")) as answer:
            await comment.get_by_role("button", name="Send report").click()
        assert (await answer.value).status == 202
        await expect(comment.locator(".m-slot")).to_have_text(REPORTED)
        await expect(comment.get_by_role("button", name="Report")).to_be_hidden()
    finally:
        await sites.save_settings(pool, "demo", demo)

    assert await stored_reasons(pool, theirs["id"]) == ["off_topic"]
    token = await make_token(pool, "demo", "moderator", f"mod-{uuid.uuid4().hex[:8]}")
    queue = await app_client.get("/v1/sites/demo/queue?kind=comment&status=held&limit=100",
                                 headers={"Authorization": f"Bearer {token}"})
    assert queue.status == 200
    item = next(i for i in (await queue.json())["items"] if i["id"] == theirs["id"])
    assert item["status"] == "held" and item["body"] == text
    assert [r["reason"] for r in item["reports"]] == ["off_topic"]


async def test_a_report_the_server_refuses_says_so_and_can_be_sent_again(page, demo_server, app_client,
                                                                        pool):
    text = f"Talks should have started years ago. ({uuid.uuid4().hex[:8]})"
    theirs = await other_readers_comment(app_client, pool, text)
    await page.goto(f"{demo_server}/demo")
    comment = comments_widget(page).locator("article", has_text=text)
    await comment.get_by_role("button", name="Report").click()
    await comment.get_by_label(REPORT_REASON).select_option("spam")
    # Its author deletes it while the reader is choosing a reason: the server answers 404.
    deleted = await app_client.delete(f"/v1/sites/demo/comments/{theirs['id']}",
                                      headers={"X-Edit-Token": theirs["edit_token"]})
    assert deleted.status == 200, await deleted.text()
    async with page.expect_response(re.compile(r"/reports$")) as answer:
        await comment.get_by_role("button", name="Send report").click()
    assert (await answer.value).status == 404
    await expect(comment.locator(".m-error")).to_have_text(REPORT_FAILED)
    await expect(comment.locator(".m-slot")).not_to_contain_text(REPORTED)
    # The form stays, to try again.
    await expect(comment.get_by_role("button", name="Send report")).to_be_enabled()
    assert await stored_reasons(pool, theirs["id"]) == []


async def test_the_whole_flow_with_the_keyboard_alone(page, demo_server):
    await page.goto(f"{demo_server}/demo")
    widget = comments_widget(page)
    await expect(widget.get_by_role("button", name="Post comment")).to_be_visible()
    release = await hold_polls(page)
    release.set()  # polls pass at once; this only routes them like the other test

    # Rate with arrows and Enter.
    await tab_to(page, lambda a: a.startswith("input|m-rate"))
    for _ in range(2):
        await page.keyboard.press("ArrowRight")
    await page.keyboard.press("Enter")
    await expect(page.locator(".moderation-comments .m-rating [role=status]")).to_have_text(
        "Thank you! You rated 3 stars.")

    text = f"Typed without a mouse. ({uuid.uuid4().hex[:8]})"
    await tab_to(page, lambda a: a.startswith("input|name|Name"))
    await page.keyboard.type("Keyboard Kim")
    await page.keyboard.press("Tab")
    assert (await deep_active(page)).startswith("textarea|body|Comment")
    await page.keyboard.type(text)
    await page.keyboard.press("Tab")
    assert (await deep_active(page)).startswith("button|||Post comment")
    await page.keyboard.press("Enter")

    mine = widget.locator("article", has_text=text)
    await expect(mine.get_by_role("button", name="Reply")).to_be_visible()
    await expect(mine).to_be_focused()  # focus follows the comment from pending to published

    await tab_to(page, lambda a: a.endswith("|Reply"))
    await page.keyboard.press("Enter")
    assert (await deep_active(page)).startswith("textarea|body|Reply to Keyboard Kim")
    await page.keyboard.type("A reply, also by keyboard.")
    await tab_to(page, lambda a: a.endswith("|Post reply"))
    await page.keyboard.press("Enter")
    reply = widget.locator("li", has=page.locator("article", has_text=text)).first.locator(
        ".m-replies article", has_text="A reply, also by keyboard.")
    await expect(reply.get_by_role("button", name="Reply")).to_be_visible()

    await mine.focus()
    await tab_to(page, lambda a: a.endswith("|Report"))
    await page.keyboard.press("Enter")
    assert (await deep_active(page)).startswith("select|reason|")
    await page.keyboard.press("ArrowDown")
    await tab_to(page, lambda a: a.endswith("|Send report"))
    async with page.expect_response(re.compile(r"/reports$")) as answer:
        await page.keyboard.press("Enter")
    assert (await answer.value).status == 202
    await expect(mine.locator(".m-slot")).to_have_text(REPORTED)
