"""/moderate in a real browser: sign in, reasons highlighted, keyboard decisions, bulk actions."""

from __future__ import annotations

import re

from playwright.async_api import expect

from tests.conftest import wait_for
from tests.factories import decide, make_token
from tests.helpers import bearer
from tests.review.test_review import HELD_TEXT, decide_all, post, queue, setup_site

XSS = '<img src=x onerror="alert(1)"><script>alert(2)</script>"><svg onload=alert(3)>'


async def open_queue(page, client, site: str, token: str) -> None:
    await page.goto(str(client.make_url("/moderate")))
    await page.get_by_label("Site").fill(site)
    await page.get_by_label("Token").fill(token)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("region", name="Review queue")).to_be_visible()


def items(page):
    return page.locator("#items > li")


async def test_page_and_assets_are_served_and_described(make_client):
    client = await make_client(workers=0)
    response = await client.get("/moderate")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/html")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    html = await response.text()
    script = re.search(r'src="(/moderate\.js\?v=[0-9a-f]{16})"', html).group(1)
    served = await client.get(script)
    assert served.headers["Content-Type"].startswith("text/javascript")
    assert "immutable" in served.headers["Cache-Control"]
    source = await served.read()
    assert b"innerHTML" not in source  # user text only ever goes in as text nodes
    # Highlights come from the server's spans: no pattern is built from word-list entries (2,400
    # repeated letters once blocked the page for 11 s per render), no normalization ported.
    assert b"RegExp(" not in source and b"NFKD" not in source
    style = re.search(r'href="(/moderate\.css\?v=[0-9a-f]{16})"', html).group(1)
    assert (await client.get(style)).headers["Content-Type"].startswith("text/css")
    paths = (await (await client.get("/openapi.json")).json())["paths"]
    assert "text/html" in paths["/moderate"]["get"]["responses"]["200"]["content"]
    assert "text/javascript" in paths["/moderate.js"]["get"]["responses"]["200"]["content"]


async def test_wrong_token_wrong_site_and_server_down_say_so(page, make_client, pool, site, new_site):
    client = await make_client(workers=0)
    token, _ = await setup_site(pool, site)
    await page.goto(str(client.make_url("/moderate")))
    error = page.get_by_role("alert").first
    await page.get_by_label("Site").fill(site)
    await page.get_by_label("Token").fill("not-a-real-token")
    await page.get_by_role("button", name="Sign in").click()
    await expect(error).to_have_text(re.compile("token is not valid"))

    await page.get_by_label("Site").fill(await new_site())
    await page.get_by_label("Token").fill(token)
    await page.get_by_role("button", name="Sign in").click()
    await expect(error).to_have_text(re.compile("Unknown site, or this token is not for it"))

    await page.route("**/v1/**", lambda route: route.abort())
    await page.get_by_label("Site").fill(site)
    await page.get_by_role("button", name="Sign in").click()
    await expect(error).to_have_text(re.compile("Cannot reach the moderation server"))

    await page.unroute("**/v1/**")
    await page.route("**/v1/**", lambda route: route.fulfill(
        status=503, content_type="application/json",
        body='{"error": {"code": "database_unavailable", "message": "down", "details": []}}'))
    await page.get_by_role("button", name="Sign in").click()
    await expect(error).to_have_text(re.compile("service is unavailable"))
    await expect(page.get_by_role("region", name="Review queue")).to_be_hidden()
    assert token not in page.url


async def test_held_comment_is_highlighted_and_approved_with_the_keyboard(page, make_client, pool, site,
                                                                         screenshots):
    client = await make_client(workers=0)
    token, _ = await setup_site(pool, site)
    held = await post(client, site, HELD_TEXT, name="Troll", thread="pub")
    await post(client, site, "Read the real story at bit.ly/3xYz and tinyurl.com/deal now",
               name="Linker", thread="pub")
    await post(client, site, "What a MORON. A total IDIOOOT, honestly.", name="Shouty", thread="other")
    await post(client, site, "A calm and considered remark.", thread="pub")
    await decide_all(pool)
    await open_queue(page, client, site, token)

    await expect(items(page)).to_have_count(3)
    # The rule filter lists what the server says it runs, rating rules included.
    for rule in ("threats", "combined", "banned rater"):
        await expect(page.locator("#filter-rule option", has_text=rule)).to_have_count(1)
    first = items(page).nth(0)
    # The suspect word, then whatever the abuse model weighed most in the text.
    await expect(first.locator("mark").first).to_have_text("idiot")
    await expect(first.get_by_role("list", name="Why it is here")).to_contain_text("suspect words")
    await expect(first).to_contain_text("1 held")
    # Highlights come from the verdicts' spans: the links as written, the words that matched.
    for link in ("bit.ly/3xYz", "tinyurl.com/deal"):
        marks = items(page).nth(1).locator("mark").filter(has_text=link)
        await expect(marks).to_have_count(1)
    await expect(items(page).nth(2).locator("mark")).to_have_text(["MORON", "IDIOOOT"])
    await expect(page.get_by_role("status").filter(has_text="waiting")).to_have_text("3 waiting")
    await page.keyboard.press("j")
    await expect(first).to_have_attribute("aria-current", "true")
    await expect(first).to_be_focused()
    await page.screenshot(path=str(screenshots / "moderate.png"), full_page=True)

    await page.keyboard.press("a")
    await expect(items(page)).to_have_count(2)
    await expect(page.locator("#items")).not_to_contain_text("Troll")
    await expect(page.get_by_role("status").filter(has_text="Approved")).to_contain_text("Troll")
    await expect(page.get_by_role("status").filter(has_text="waiting")).to_have_text("2 waiting")
    thread = await (await client.get(f"/v1/sites/{site}/threads/pub/comments")).json()
    assert held["id"] in [i["id"] for i in thread["items"]]
    # The next item is selected and claimed: another moderator's listing skips it.
    await expect(items(page).nth(0)).to_have_attribute("aria-current", "true")
    other = await make_token(pool, site, "moderator", "max")
    await wait_for(lambda: _count_is(client, site, other, 1), timeout=5)


async def _count_is(client, site, token, expected: int) -> bool:
    return len(await queue(client, site, token)) == expected


async def test_bulk_reject_two_items_with_checkboxes(page, make_client, pool, site):
    client = await make_client(workers=0)
    token, _ = await setup_site(pool, site, premoderation="all")
    one = await post(client, site, "First comment waiting for a look", name="One")
    two = await post(client, site, "Second comment waiting for a look", name="Two")
    await post(client, site, "Third comment, to keep", name="Three")
    await decide_all(pool)
    await open_queue(page, client, site, token)
    await expect(items(page)).to_have_count(3)
    await page.get_by_role("checkbox", name="Select Comment by One").check()
    await page.get_by_role("checkbox", name="Select Comment by Two").check()
    await expect(page.locator("#selected-count")).to_have_text("2 selected")
    await page.get_by_role("button", name="Reject selected").click()
    await expect(items(page)).to_have_count(1)
    await expect(items(page).nth(0)).to_contain_text("Third comment")
    await expect(page.get_by_role("status").filter(has_text="Rejected")).to_have_text("Rejected 2 items.")
    rejected = await queue(client, site, token, "status=rejected")
    assert sorted(i["id"] for i in rejected) == sorted([one["id"], two["id"]])


async def one_held_item_and_a_second_moderator(page, make_client, pool, site):
    """The page open on one held comment, and the token of another moderator, "max"."""
    client = await make_client(workers=0)
    token, _ = await setup_site(pool, site)
    held = await post(client, site, HELD_TEXT)
    await decide_all(pool)
    await open_queue(page, client, site, token)
    await expect(items(page)).to_have_count(1)
    return client, held, await make_token(pool, site, "moderator", "max")


async def test_stale_decision_shows_the_current_state_and_refreshes(page, make_client, pool, site):
    client, held, other = await one_held_item_and_a_second_moderator(page, make_client, pool, site)
    decided = await decide(client, site, held["id"], "reject", other)
    assert decided.status == 200
    await items(page).nth(0).get_by_role("button", name="Approve").click()
    await expect(page.get_by_role("alert").filter(has_text="Someone else")).to_contain_text(
        "it is now rejected")
    await expect(items(page)).to_have_count(0)
    await expect(page.get_by_text("Nothing waiting here")).to_be_visible()


async def test_script_in_a_comment_is_shown_as_text(page, make_client, pool, site):
    client = await make_client(workers=0)
    token, _ = await setup_site(pool, site, premoderation="all")
    await post(client, site, XSS, name='<b onmouseover="alert(4)">Mallory</b>')
    await decide_all(pool)
    await open_queue(page, client, site, token)
    item = items(page).nth(0)
    await expect(item.locator(".body")).to_have_text(XSS)
    await expect(item.locator(".who")).to_have_text('<b onmouseover="alert(4)">Mallory</b>')
    assert await page.locator("#items img, #items script, #items svg, #items b").count() == 0
    await item.locator(".who").hover()
    await page.keyboard.press("j")
    await page.keyboard.press("r")
    await expect(items(page)).to_have_count(0)


async def test_rating_item_shows_author_and_stars_and_shortcuts_help(page, make_client, pool, site):
    client = await make_client(workers=0)
    token, _ = await setup_site(pool, site)
    posted = await client.post(f"/v1/sites/{site}/authors/killian-jones/ratings",
                               json={"score": 2, "rater": {"fingerprint": "reader-7"}})
    assert posted.status == 202
    rating_id = (await posted.json())["id"]
    await decide_all(pool)
    await pool.execute("UPDATE ratings SET status = 'held' WHERE site_id = $1 AND rating_id = $2",
                       site, int(rating_id))
    await open_queue(page, client, site, token)
    await expect(page.get_by_text("Nothing waiting here")).to_be_visible()
    await page.get_by_label("Kind").select_option("rating")
    item = items(page).nth(0)
    await expect(item.locator(".rating")).to_contain_text("killian-jones")
    await expect(item.get_by_label("2 out of 5 stars")).to_have_text("★★☆☆☆")

    await page.locator("body").press("?")
    await expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_visible()
    await page.keyboard.press("Escape")
    await expect(page.get_by_role("dialog")).to_be_hidden()
    await page.keyboard.press("j")
    await page.keyboard.press("x")
    await expect(item.get_by_role("checkbox")).to_be_checked()
    await expect(page.locator("#selected-count")).to_have_text("1 selected")
    await page.get_by_role("button", name="Approve selected").click()
    await expect(items(page)).to_have_count(0)
    shown = await (await client.get(f"/v1/sites/{site}/authors/killian-jones/rating")).json()
    assert (shown["count"], shown["average"]) == (1, 2.0)


async def test_an_item_claimed_meanwhile_says_who_is_handling_it(page, make_client, pool, site):
    client, held, other = await one_held_item_and_a_second_moderator(page, make_client, pool, site)
    claimed = await client.post(f"/v1/sites/{site}/queue/comment/{held['id']}/claim",
                                headers=bearer(other))
    assert claimed.status == 200
    await page.keyboard.press("j")
    await expect(items(page).nth(0).locator(".claimed")).to_have_text("being handled by max")
    await expect(page.get_by_role("alert").filter(has_text="claim")).to_have_count(0)


async def test_highlights_follow_the_servers_spans_in_code_points(page, make_client, pool, site):
    """Emoji before the words count as one character each, as on the server; a comment of
    thousands of repeated letters renders at once; a verdict without spans highlights nothing."""
    client = await make_client(workers=0)
    token, _ = await setup_site(pool, site)
    await post(client, site, "😀😀 What a MORON. 🇩🇪 A total IDIOOOT, honestly.", name="Emoji")
    await post(client, site, "You stupid idiot, shut up " + "o" * 2400 + " " + "i d i o t " * 200,
               name="Long")
    await decide_all(pool)
    await open_queue(page, client, site, token)
    await expect(items(page)).to_have_count(2)
    await expect(items(page).nth(0).locator("mark")).to_have_text(["MORON", "IDIOOOT"])
    # The suspect word and the shouting rule's run of repeated letters.
    await expect(items(page).nth(1).locator("mark")).to_have_text(["idiot", "o" * 2400])
    # Spans that are not pairs of offsets inside the text are ignored, never thrown on.
    await pool.execute("""UPDATE verdicts SET details = jsonb_set(details, '{spans}',
                          '[[0, 99999], "x", [3, 2], [1.5, 2], null]') WHERE site_id = $1""", site)
    await page.reload()
    await expect(items(page)).to_have_count(2)
    await expect(page.locator("#items mark")).to_have_count(0)


async def test_the_waiting_count_follows_the_queue_live(page, make_client, pool, site):
    client = await make_client(workers=0)
    token, _ = await setup_site(pool, site, premoderation="all")
    await post(client, site, "First comment waiting for a look", name="One")
    await decide_all(pool)
    await open_queue(page, client, site, token)
    waiting = page.locator("#waiting")
    await expect(waiting).to_have_text("1 waiting")
    # Another comment is held while the page is open: the count follows without a reload or
    # a poll (the poll waits 10 s; the stream tells at once).
    await post(client, site, "Second comment waiting for a look", name="Two")
    await decide_all(pool)
    await expect(waiting).to_have_text("2 waiting", timeout=5000)
