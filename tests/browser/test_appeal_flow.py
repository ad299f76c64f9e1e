"""A reader's rejected comment in the widget: its reason, the reader's appeal, a second
moderator reinstating it on /moderate, and the comment published in the reader's widget."""

from __future__ import annotations

import re

from playwright.async_api import expect

from moderation.sites import store as sites
from tests.browser.test_moderate import items, open_queue
from tests.browser.test_widget import host_site, widget_div
from tests.review.test_review import HELD_TEXT


async def test_reason_appeal_reinstatement_and_publication(browser, page, host, new_site, pool,
                                                         app_client, screenshots):
    site = await host_site(new_site, pool, host)
    mona = await sites.create_token(pool, site, "moderator", "mona")
    max_ = await sites.create_token(pool, site, "moderator", "max")
    await host.open(page, widget_div(site, "summit"))
    widget = page.locator(".moderation-comments")
    await widget.get_by_label("Name").fill("Ray Reader")
    await widget.get_by_label("Comment", exact=True).fill(HELD_TEXT)
    await widget.get_by_role("button", name="Post comment").click()
    mine = widget.locator(".m-own")
    await expect(mine.locator(".m-status").first).to_have_text("Awaiting moderation")

    desk = await (await browser.new_context(viewport={"width": 1000, "height": 900})).new_page()
    await open_queue(desk, app_client, site, mona)
    item = items(desk).nth(0)
    await expect(item).to_contain_text(HELD_TEXT)
    await item.get_by_label(re.compile("^Reason to reject")).select_option("off_topic")
    await item.get_by_role("button", name="Reject", exact=True).click()
    await expect(desk.get_by_role("status").filter(has_text="Rejected")).to_contain_text("(Off topic)")

    await expect(mine.locator(".m-status").first).to_have_text("Not published: Off topic")
    await expect(mine.locator(".m-note")).to_contain_text("A moderator decided this.")
    await mine.get_by_role("button", name="Appeal this decision").click()
    await mine.get_by_label("Why should your comment be published?").fill(
        "I criticised the article, not a person.")
    await mine.get_by_role("button", name="Send appeal").click()
    await expect(mine.get_by_role("status").filter(has_text="appeal")).to_have_text(
        "Your appeal was sent. A moderator will look at your comment again.")
    await page.screenshot(path=str(screenshots / "appeal.png"), full_page=False)

    # Mona rejected it: Max, the other moderator, decides the appeal.
    await desk.get_by_role("button", name="Sign out").click()
    await open_queue(desk, app_client, site, max_)
    await expect(desk.get_by_role("status").filter(has_text="waiting")).to_have_text(
        "1 waiting (1 appeal)")
    await desk.locator("#filter-kind").select_option("appeal")
    appeal = items(desk).nth(0)
    await expect(appeal.locator(".appeal-note")).to_contain_text(
        "I criticised the article, not a person.")
    await expect(appeal.locator(".appeal-note")).to_contain_text("rejected by mona")
    await appeal.get_by_role("button", name="Reinstate").click()
    await expect(desk.get_by_role("status").filter(has_text="Reinstated")).to_contain_text("Ray Reader")
    await desk.context.close()

    published = widget.locator("article", has_text=HELD_TEXT)
    await expect(published.get_by_role("button", name="Reply")).to_be_visible(timeout=30_000)
    await expect(published.locator(".m-status")).to_have_count(0)
    await expect(widget.locator(".m-count")).to_have_text("1 comment")
