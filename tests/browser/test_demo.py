"""/demo in a real browser: the article, rating the author, and the whole comment flow."""

from __future__ import annotations

import asyncio
import re
import uuid

from playwright.async_api import expect

from tests.browser.conftest import deep_active, tab_to

THREAD = "relations-with-russia-have-hit-rock-bottom"
KIND_REPORT = re.compile(r"Thank you for your report|Sorry, your report could not be sent")


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
    await mine.get_by_label("Why should a moderator look at this comment?").select_option("off_topic")
    await mine.get_by_role("button", name="Send report").click()
    await expect(mine.locator(".m-slot")).to_have_text(KIND_REPORT)

    await widget.screenshot(path=str(screenshots / "widget.png"))
    await page.screenshot(path=str(screenshots / "demo.png"), full_page=True)

    # After a reload both comments come from the thread listing, the reply nested under its parent.
    await page.reload()
    listed = widget.locator("li", has=page.locator("article", has_text=text)).first
    await expect(listed.locator(".m-replies article", has_text=reply_text)).to_be_visible()


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
    await page.keyboard.press("Enter")
    await expect(mine.locator(".m-slot")).to_have_text(KIND_REPORT)
