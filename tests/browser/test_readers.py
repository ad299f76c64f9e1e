"""Readers on /demo in a real browser: closed threads, votes and "best", links, removed comments
with their replies, Editors' picks, editing and deleting your own comment."""

from __future__ import annotations

import uuid

from playwright.async_api import expect

from moderation.sites import store as sites
from moderation.sites.demo import ensure_demo_site
from tests.browser.conftest import tune_site
from tests.browser.test_demo import THREAD, comments_widget
from tests.conftest import wait_for
from tests.factories import decide


async def other_readers_comment(app_client, pool, text: str, parent_id: str | None = None,
                                published: bool = True) -> dict:
    """A comment by a reader of their own (name and address), once the rules have published it
    (or, `published=False`, decided it): many comments from one reader in a row would be held
    by the flood rule."""
    n = uuid.uuid4().int
    response = await app_client.post(
        f"/v1/sites/demo/threads/{THREAD}/comments",
        headers={"X-Forwarded-For": f"10.{n % 250}.{n // 250 % 250}.{n // 62500 % 250 + 1}"},
        json={"body": text, "commenter": {"name": f"Reader {n % 10_000}"}, "parent_id": parent_id})
    assert response.status == 202, await response.text()
    comment = await response.json()
    wanted = "status = 'approved'" if published else "status <> 'pending'"
    await wait_for(lambda: pool.fetchval(
        f"SELECT {wanted} FROM comments WHERE site_id = 'demo' AND comment_id = $1",
        int(comment["id"])))
    return comment


async def set_demo_closed(pool, closed: bool | None) -> None:
    await pool.execute("INSERT INTO threads (site_id, thread, closed) VALUES ('demo', $1, $2) "
                       "ON CONFLICT (site_id, thread) DO UPDATE SET closed = $2", THREAD, closed)


async def test_a_closed_thread_says_so_and_hides_the_form(page, demo_server, app_client, pool):
    await other_readers_comment(app_client, pool, f"Before the close. ({uuid.uuid4().hex[:8]})")
    await set_demo_closed(pool, True)
    try:
        await page.goto(f"{demo_server}/demo")
        widget = comments_widget(page)
        await expect(widget.get_by_role("status").filter(
            has_text="Comments on this article are closed.")).to_be_visible()
        await expect(widget.get_by_role("button", name="Post comment")).to_be_hidden()
        await expect(widget.get_by_label("Comment", exact=True)).to_be_hidden()
        await expect(widget.locator("article").first).to_be_visible()
        await expect(widget.get_by_role("button", name="Reply")).to_have_count(0)
    finally:
        await set_demo_closed(pool, None)


async def test_a_thread_closed_while_writing_keeps_the_text_and_says_so(page, demo_server, pool):
    await page.goto(f"{demo_server}/demo")
    widget = comments_widget(page)
    await widget.get_by_label("Name").fill("Late Reader")
    await widget.get_by_label("Comment", exact=True).fill("Just in time, I hope.")
    await set_demo_closed(pool, True)
    try:
        await widget.get_by_role("button", name="Post comment").click()
        await expect(widget.get_by_text("Comments on this article are closed.")).to_be_visible()
        await expect(widget.get_by_role("button", name="Post comment")).to_be_hidden()
    finally:
        await set_demo_closed(pool, None)


async def test_vote_change_withdraw_and_sort_by_best(page, demo_server, app_client, pool):
    tag = uuid.uuid4().hex[:8]
    liked = await other_readers_comment(app_client, pool, f"Liked by many. ({tag})")
    await other_readers_comment(app_client, pool, f"Newer, no votes. ({tag})")
    for n in range(3):  # three other readers vote it up, each from a network of their own
        response = await app_client.post(f"/v1/sites/demo/comments/{liked['id']}/votes",
                                         json={"value": 1},
                                         headers={"X-Forwarded-For": f"198.51.{100 + n}.1"})
        assert response.status == 200
    await page.goto(f"{demo_server}/demo")
    widget = comments_widget(page)
    mine = widget.locator("article", has_text=f"Liked by many. ({tag})")
    up = mine.get_by_role("button", name="Vote up (3)")
    await expect(up).to_have_attribute("aria-pressed", "false")
    await up.click()
    await expect(mine.get_by_role("button", name="Vote up (4)")).to_have_attribute("aria-pressed", "true")
    await mine.get_by_role("button", name="Vote down (0)").click()
    await expect(mine.get_by_role("button", name="Vote down (1)")).to_have_attribute("aria-pressed", "true")
    await expect(mine.get_by_role("button", name="Vote up (3)")).to_have_attribute("aria-pressed", "false")
    await mine.get_by_role("button", name="Vote down (1)").click()  # pressed again: withdrawn
    await expect(mine.get_by_role("button", name="Vote down (0)")).to_have_attribute("aria-pressed", "false")
    await mine.get_by_role("button", name="Vote up (3)").click()
    await expect(mine.get_by_role("button", name="Vote up (4)")).to_have_attribute("aria-pressed", "true")
    # The vote is remembered for the next visit; "Best" puts the liked comment first.
    await page.reload()
    await expect(mine.get_by_role("button", name="Vote up (4)")).to_have_attribute("aria-pressed", "true")
    await widget.get_by_role("button", name="Best", exact=True).click()
    await expect(widget.get_by_role("button", name="Best", exact=True)).to_have_attribute("aria-pressed", "true")
    await expect(widget.locator(".m-list > li > article").first).to_contain_text(f"Liked by many. ({tag})")


async def test_links_are_clickable_and_nothing_else_is_markup(page, demo_server, app_client, pool):
    tag = uuid.uuid4().hex[:8]
    text = (f"Sources ({tag}): https://example.com/report?a=1&b=<2>, and "
            "(see https://en.wikipedia.org/wiki/Summit_(meeting)). Not links: javascript:alert(1) "
            "ftp://files.example/x <img src=x onerror=alert(1)> <a href=\"https://evil.example\">x</a> "
            "http://\"><script>alert(2)</script>")
    # The rules may hold a comment this full of markup: a moderator publishes it.
    comment = await other_readers_comment(app_client, pool, text, published=False)
    token = await sites.create_token(pool, "demo", "moderator", f"links-{tag}")
    decision = await decide(app_client, "demo", comment["id"], "approve", token)
    assert decision.status == 200, await decision.text()
    await page.goto(f"{demo_server}/demo")
    body = comments_widget(page).locator("article", has_text=tag).locator(".m-body")
    await expect(body).to_have_text(text)  # every character is there, as text
    links = body.locator("a")
    # The address inside the typed <a> tag is an address in text like any other.
    await expect(links).to_have_count(3)
    first, second = links.nth(0), links.nth(1)
    await expect(links.nth(2)).to_have_text("https://evil.example")
    await expect(first).to_have_text("https://example.com/report?a=1&b=")
    assert await first.get_attribute("href") == "https://example.com/report?a=1&b="
    await expect(second).to_have_text("https://en.wikipedia.org/wiki/Summit_(meeting)")
    for link in (first, second):
        assert await link.get_attribute("rel") == "nofollow ugc noopener"
    assert await body.locator("img, script").count() == 0


async def test_a_removed_comment_leaves_its_replies_readable(page, demo_server, app_client, pool):
    tag = uuid.uuid4().hex[:8]
    top = await other_readers_comment(app_client, pool, f"Soon to be deleted. ({tag})")
    await other_readers_comment(app_client, pool, f"A reply worth keeping. ({tag})", top["id"])
    deleted = await app_client.delete(f"/v1/sites/demo/comments/{top['id']}",
                                      headers={"X-Edit-Token": top["edit_token"]})
    assert deleted.status == 200
    await page.goto(f"{demo_server}/demo")
    widget = comments_widget(page)
    placeholder = widget.locator("li", has=page.locator(f"article[data-id='{top['id']}']"))
    await expect(placeholder.locator("article.m-removed")).to_have_text("Comment removed")
    await expect(placeholder.locator(".m-replies article")).to_contain_text(f"A reply worth keeping. ({tag})")
    await expect(widget.get_by_text(f"Soon to be deleted. ({tag})")).to_have_count(0)


async def test_editors_picks_are_shown_first_and_marked(page, demo_server, app_client, pool):
    tag = uuid.uuid4().hex[:8]
    picked = await other_readers_comment(app_client, pool, f"An excellent point. ({tag})")
    await other_readers_comment(app_client, pool, f"Newer and ordinary. ({tag})")
    token = await sites.create_token(pool, "demo", "moderator", f"editor-{tag}")
    response = await app_client.post(f"/v1/sites/demo/queue/comment/{picked['id']}/feature",
                                     headers={"Authorization": f"Bearer {token}"})
    assert response.status == 200
    try:
        await page.goto(f"{demo_server}/demo")
        widget = comments_widget(page)
        picks = widget.locator(".m-picks")
        await expect(picks.get_by_role("heading", name="Editors' picks")).to_be_visible()
        await expect(picks.locator("article")).to_have_count(1)
        await expect(picks.locator("article")).to_contain_text(f"An excellent point. ({tag})")
        await expect(picks.locator(".m-pick")).to_have_text("Editors' pick")
        # Still in its own place in the thread, marked there too.
        in_thread = widget.get_by_role("list", name="Comments").locator("article", has_text=f"An excellent point. ({tag})")
        await expect(in_thread.locator(".m-pick")).to_be_visible()
    finally:
        await app_client.delete(f"/v1/sites/demo/queue/comment/{picked['id']}/feature",
                                headers={"Authorization": f"Bearer {token}"})


async def test_edit_and_delete_your_own_comment(page, demo_server):
    await page.goto(f"{demo_server}/demo")
    widget = comments_widget(page)
    count = widget.locator(".m-count")
    tag = uuid.uuid4().hex[:8]
    await widget.get_by_label("Name").fill("Edna Editor")
    await widget.get_by_label("Comment", exact=True).fill(f"Frist draft with a typo. ({tag})")
    await widget.get_by_role("button", name="Post comment").click()
    mine = widget.locator("article", has_text=tag)
    await expect(mine.get_by_role("button", name="Reply")).to_be_visible()  # published
    before = int((await count.text_content()).split()[0])

    await mine.get_by_role("button", name="Edit").click()
    box = mine.get_by_label("Edit your comment")
    await expect(box).to_be_focused()
    await expect(box).to_have_value(f"Frist draft with a typo. ({tag})")
    await box.fill(f"First draft, typo fixed. ({tag})")
    await mine.get_by_role("button", name="Save changes").click()
    await expect(mine.locator(".m-body")).to_have_text(f"First draft, typo fixed. ({tag})")
    # Checked again by the rules, then published again, marked as edited.
    await expect(mine.get_by_role("button", name="Reply")).to_be_visible()
    await expect(mine.get_by_text("(edited)")).to_be_visible()
    await expect(count).to_have_text(f"{before} comments")

    # The edit token is kept: after a reload the reader can still delete it.
    await page.reload()
    await mine.get_by_role("button", name="Delete").click()
    await expect(mine.get_by_text("Delete your comment? This cannot be undone.")).to_be_visible()
    await mine.get_by_role("button", name="Delete comment").click()
    await expect(widget.locator("article", has_text=tag)).to_have_count(0)
    await expect(widget.get_by_role("status").filter(has_text="Your comment was deleted.")).to_have_count(1)
    await expect(count).to_have_text(f"{before - 1} comments")
    # Other readers' comments offer no Edit or Delete.
    await page.reload()
    await expect(widget.get_by_role("button", name="Delete")).to_have_count(0)


async def test_email_me_replies_asks_for_confirmation(page, make_client, pool, inbox):
    client = await make_client(smtp_url=inbox.url)
    server = str(client.make_url("/")).rstrip("/")
    await ensure_demo_site(pool, [server])
    await tune_site(pool, "demo", honeypot={"min_elapsed_ms": 0})
    await page.goto(f"{server}/demo")
    widget = comments_widget(page)
    tag = uuid.uuid4().hex[:8]
    address = f"reader-{tag}@example.com"
    await widget.get_by_label("Name").fill("Mia Mail")
    await widget.get_by_label("Comment", exact=True).fill(f"Tell me when someone answers. ({tag})")
    await widget.get_by_label("Email (never shown)").fill(address)
    await widget.get_by_label("Email me replies").check()
    await widget.get_by_role("button", name="Post comment").click()
    mine = widget.locator("article", has_text=tag)
    await expect(mine.get_by_text("We sent you an email: confirm it to get replies by email.")).to_be_visible()
    [confirmation] = await wait_for(lambda: _to(inbox, address))
    assert confirmation["Subject"].startswith("Confirm reply emails")
    await expect(widget.get_by_label("Email me replies")).not_to_be_checked()


async def _to(inbox, address: str):
    return inbox.to(address)


async def test_without_email_the_widget_offers_no_email_box(page, demo_server):
    async with page.expect_response(lambda r: "/comments?" in r.url):  # the thread has loaded
        await page.goto(f"{demo_server}/demo")
    widget = comments_widget(page)
    await expect(widget.get_by_role("button", name="Post comment")).to_be_visible()
    await expect(widget.get_by_label("Email me replies")).to_be_hidden()
    await expect(widget.get_by_label("Email (never shown)")).to_be_hidden()


async def test_a_new_comment_from_another_reader_arrives_live(page, demo_server, app_client, pool):
    tag = uuid.uuid4().hex[:8]
    first = await other_readers_comment(app_client, pool, f"Already here. ({tag})")
    async with page.expect_response(lambda r: "/events" in r.url):  # the widget listens
        await page.goto(f"{demo_server}/demo")
    widget = comments_widget(page)
    here = widget.locator("article", has_text=f"Already here. ({tag})")
    await expect(here).to_be_visible()
    await other_readers_comment(app_client, pool, f"Fresh from another reader. ({tag})")
    banner = widget.get_by_role("button", name="Show 1 new comment")
    await expect(banner).to_be_visible()
    # Nothing moved: the new comment waits behind the button.
    await expect(widget.get_by_text(f"Fresh from another reader. ({tag})")).to_have_count(0)
    # Votes of other readers show as they come.
    response = await app_client.post(f"/v1/sites/demo/comments/{first['id']}/votes", json={"value": 1},
                                     headers={"X-Forwarded-For": "198.51.100.200"})
    assert response.status == 200
    await expect(here.get_by_role("button", name="Vote up (1)")).to_be_visible()
    await banner.click()
    await expect(widget.get_by_text(f"Fresh from another reader. ({tag})")).to_be_visible()
    await expect(banner).to_be_hidden()


async def test_the_authors_rating_updates_live(page, demo_server, app_client):
    async with page.expect_response(lambda r: "/events" in r.url):
        await page.goto(f"{demo_server}/demo")
    rating = page.locator(".moderation-comments .m-rating")
    await expect(rating).to_be_visible()
    before = await rating.locator(".m-agg").text_content()
    response = await app_client.post("/v1/sites/demo/authors/killian-jones/ratings",
                                     json={"score": 1, "rater": {"fingerprint": "live"}},
                                     headers={"X-Forwarded-For": f"198.51.100.{uuid.uuid4().int % 250}"})
    assert response.status == 202
    await expect(rating.locator(".m-agg")).not_to_have_text(before)
