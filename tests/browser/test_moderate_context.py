"""/moderate gives each comment its context: the article, the comment it answers, the
commenter's recent outcomes; and acts on the commenter: reject all, timed bans."""

from __future__ import annotations

from playwright.async_api import expect

from tests.browser.test_moderate import items, open_queue
from tests.helpers import bearer
from tests.review.test_review import HELD_TEXT, decide_all, post, queue, setup_site


async def test_article_parent_and_recent_outcomes_are_shown(page, make_client, pool, site,
                                                            screenshots):
    client = await make_client(workers=0)
    token, _ = await setup_site(pool, site)
    article = {"thread_title": "Relations with Russia have hit rock bottom",
               "thread_url": "https://news.example/russia"}
    parent = await post(client, site, "Dialogue is the only way forward.", name="Anna",
                        thread="russia", **article)
    await post(client, site, "My first, polite remark.", name="Troll", thread="other")
    await decide_all(pool)
    await post(client, site, HELD_TEXT, name="Troll", thread="russia", parent_id=parent["id"])
    await decide_all(pool)
    await open_queue(page, client, site, token)
    item = items(page).nth(0)
    link = item.get_by_role("link", name="Relations with Russia have hit rock bottom")
    await expect(link).to_have_attribute("href", "https://news.example/russia")
    await expect(link).to_have_attribute("rel", "noopener noreferrer")
    reply_to = item.get_by_label("In reply to Anna")
    await expect(reply_to).to_contain_text("Dialogue is the only way forward.")
    recent = item.get_by_role("list", name="Recent comments by this commenter")
    await expect(recent).to_contain_text("approved My first, polite remark.")
    # The reason picker starts at what the rules point to.
    await expect(item.get_by_label("Reason to reject Comment by Troll")).to_have_value("abuse")
    await page.screenshot(path=str(screenshots / "moderate-context.png"), full_page=False)


async def test_reject_all_and_timed_ban_ask_first(page, make_client, pool, site):
    client = await make_client(workers=0)
    token, _ = await setup_site(pool, site, premoderation="all")
    for n in range(3):
        await post(client, site, f"Comment {n} from the same reader", name="Spammy")
    await post(client, site, "Someone else entirely", name="Calm")
    await decide_all(pool)
    await open_queue(page, client, site, token)
    await expect(page.get_by_role("status").filter(has_text="waiting")).to_have_text("4 waiting")
    first = items(page).nth(0)
    await first.get_by_text("Commenter actions").click()
    await first.get_by_role("button", name="Reject all from this commenter").click()
    dialog = page.get_by_role("dialog")
    await expect(dialog).to_contain_text("Reject every waiting and published comment of Spammy?")
    await dialog.get_by_role("button", name="Cancel").click()
    await expect(items(page)).to_have_count(4)
    await first.get_by_role("button", name="Reject all from this commenter").click()
    await dialog.get_by_role("button", name="Reject all").click()
    await expect(items(page)).to_have_count(1)
    await expect(page.get_by_role("status").filter(has_text="Rejected 3")).to_have_text(
        "Rejected 3 items of Spammy.")
    await expect(page.get_by_role("status").filter(has_text="waiting")).to_have_text("1 waiting")

    calm = items(page).nth(0)
    await calm.get_by_text("Commenter actions").click()
    await calm.get_by_role("button", name="Ban 7 days").click()
    await expect(dialog).to_contain_text("Ban Calm for 7 days?")
    await dialog.get_by_role("button", name="Ban").click()
    await expect(page.get_by_role("status").filter(has_text="Banned")).to_have_text(
        "Banned Calm for 7 days.")
    person = (await queue(client, site, token))[0]["commenter"]
    assert person["banned_until"] is not None
    profile = await (await client.get(f"/v1/sites/{site}/commenters/{person['id']}",
                                      headers=bearer(token))).json()
    assert profile["ban"]["permanent"] is False and profile["ban"]["until"]
