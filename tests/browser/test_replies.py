"""A comment with more replies than a thread page shows: the widget's "Show N more replies"."""

from __future__ import annotations

import re

from playwright.async_api import expect

from tests.browser.conftest import deep_active, tune_site
from tests.browser.test_widget import widget_div
from tests.conftest import wait_for
from tests.factories import post_comment

REPLIES = 45  # the page shows 20; the widget then loads pages of its page size (20)
REPLIES_URL = re.compile(r"/comments/[0-9]+/replies\?")


async def viral_thread(app_client, pool, site: str) -> list[str]:
    """A comment with 45 approved replies, every fifth answering the reply before it; returns
    the replies' bodies in order."""
    await tune_site(pool, site, honeypot={"min_elapsed_ms": 0}, flood={"enabled": False})
    top = await post_comment(app_client, site, thread="viral", text="Everyone answers this one.")
    ids, bodies = [], []
    for n in range(REPLIES):
        parent = ids[-1] if n % 5 == 4 else top["id"]
        bodies.append(f"Reply number {n}")
        ids.append((await post_comment(app_client, site, thread="viral", text=bodies[-1],
                                       parent_id=parent))["id"])

    async def all_approved() -> bool:
        page = await (await app_client.get(f"/v1/sites/{site}/threads/viral/comments")).json()
        return bool(page["items"]) and page["items"][0]["reply_count"] == REPLIES

    await wait_for(all_approved, timeout=30)
    return bodies


async def test_show_more_replies_loads_them_in_place(page, host, app_client, new_site, pool):
    site = await new_site(origins=[host.origin])
    bodies = await viral_thread(app_client, pool, site)
    await host.open(page, widget_div(site, "viral") + widget_div(site, "viral", lang="de"))
    widget, german = page.locator(".moderation-comments").nth(0), page.locator(".moderation-comments").nth(1)
    replies = widget.locator(".m-replies .m-body")
    await expect(replies).to_have_count(20)
    await expect(german.get_by_role("button", name="Weitere Antworten anzeigen (25)")).to_be_visible()

    # A reply being written stays as it is while more replies arrive.
    await widget.get_by_role("button", name="Reply", exact=True).first.click()
    draft = widget.locator(".m-slot textarea")
    await draft.fill("Half-written thoughts that must survive.")

    await widget.get_by_role("button", name="Show 25 more replies").click()
    await expect(replies).to_have_count(40)
    more = widget.get_by_role("button", name="Show 5 more replies")
    # The keyboard works too: Enter on the focused button loads the last page, and focus moves
    # to the first reply it brought, as the button goes away.
    await more.focus()
    await page.keyboard.press("Enter")
    await expect(replies).to_have_count(REPLIES)
    await expect(more).to_be_hidden()
    assert (await deep_active(page)).startswith("article|")
    assert await replies.all_text_contents() == bodies
    # A reply to a reply is nested under it, in the first replies and in those loaded later.
    for n in (4, 44):
        body = widget.locator(".m-body", has_text=re.compile(rf"^Reply number {n}$"))
        answered = await body.evaluate("""b => b.closest("li").parentElement.closest("li")
            .querySelector(":scope > article .m-body").textContent""")
        assert answered == f"Reply number {n - 1}"
    await expect(draft).to_have_value("Half-written thoughts that must survive.")


async def test_a_failed_load_says_so_and_can_be_retried(page, host, app_client, new_site, pool):
    site = await new_site(origins=[host.origin])
    await viral_thread(app_client, pool, site)
    await host.open(page, widget_div(site, "viral", page_size="50"))
    widget = page.locator(".moderation-comments")
    replies = widget.locator(".m-replies .m-body")
    await expect(replies).to_have_count(20)

    async def refuse(route):
        await route.abort("connectionrefused")

    await page.route(REPLIES_URL, refuse)
    await widget.get_by_role("button", name="Show 25 more replies").click()
    await expect(widget.locator(".m-more")).to_contain_text("Sorry, the replies could not be loaded.")
    await expect(replies).to_have_count(20)
    await page.unroute(REPLIES_URL, refuse)
    await widget.locator(".m-more").get_by_role("button", name="Try again").click()
    await expect(replies).to_have_count(REPLIES)
    await expect(widget.locator(".m-more")).not_to_contain_text("Sorry")
    await expect(widget.get_by_role("button", name=re.compile("more repl"))).to_have_count(0)
