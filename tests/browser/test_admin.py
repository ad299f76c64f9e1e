"""/admin in a real browser: sign in, settings with the API's messages taking effect, word lists
tried before saving, tokens created and revoked, a commenter found, banned and unbanned, the
rules at work and the audit, the embed snippet and SSO."""

from __future__ import annotations

import re

from playwright.async_api import expect

from moderation.sites import store as sites
from tests.factories import decide
from tests.helpers import bearer
from tests.review.test_review import HELD_TEXT, decide_all, post, queue, setup_site


async def open_admin(page, client, site: str, token: str) -> None:
    await page.goto(str(client.make_url("/admin")))
    await page.get_by_label("Site", exact=True).fill(site)
    await page.get_by_label("Token", exact=True).fill(token)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("tab", name="Settings")).to_have_attribute("aria-selected", "true")


async def confirm(page, text: str, yes: str) -> None:
    dialog = page.get_by_role("dialog")
    await expect(dialog).to_contain_text(text)
    await dialog.get_by_role("button", name=yes).click()
    await expect(dialog).to_be_hidden()


async def test_page_and_assets_are_served_under_the_desk_csp(make_client):
    client = await make_client(workers=0)
    response = await client.get("/admin")
    assert response.status == 200 and response.headers["X-Frame-Options"] == "DENY"
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    html = await response.text()
    for name in ("desk.js", "admin.js", "moderate.css", "admin.css"):
        path = re.search(rf'"(/{re.escape(name)}\?v=[0-9a-f]{{16}})"', html).group(1)
        served = await client.get(path)
        assert served.status == 200 and "immutable" in served.headers["Cache-Control"]
        if name.endswith(".js"):
            assert b"innerHTML" not in await served.read()
    assert "<script>" not in html


async def test_moderator_token_is_refused_and_admin_changes_a_setting_that_takes_effect(
        page, make_client, pool, site, screenshots):
    client = await make_client(workers=0)
    moderator, admin = await setup_site(pool, site, allowed_origins=["https://news.example"])
    # The site's default rate limits, as a new site has them (and the screenshot shows).
    await client.patch(f"/v1/sites/{site}/settings", json={"rate_limits": None},
                       headers=bearer(admin))
    await page.goto(str(client.make_url("/admin")))
    await page.get_by_label("Site", exact=True).fill(site)
    await page.get_by_label("Token", exact=True).fill(moderator)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("alert").first).to_contain_text("needs an admin token")

    await page.get_by_label("Token", exact=True).fill(admin)
    await page.get_by_role("button", name="Sign in").click()
    form = page.locator("#settings-form")
    await expect(form.get_by_label("Premoderation")).to_have_value("off")
    await expect(form.get_by_label("Edit window (seconds)")).to_have_value("900")
    await page.screenshot(path=str(screenshots / "admin.png"), full_page=False)
    await form.locator("details[data-rule=links] summary").click()
    await expect(form.get_by_label("max links")).to_have_value("2")

    # The API's own message, next to the field it names; nothing is stored.
    await form.get_by_label("Premoderation").select_option("all")
    await form.get_by_label("Reports that send a comment back to review").fill("0")
    await form.get_by_label("max links").fill("500")
    await page.get_by_role("button", name="Save settings").click()
    await expect(page.locator("#settings-state")).to_have_text(re.compile("Not saved"))
    await expect(form.locator("label", has_text="Reports that send").locator(".field-error")).to_contain_text(
        "greater than or equal to 1")
    await expect(form.locator("label", has_text="max links").locator(".field-error")).to_contain_text(
        "less than or equal to 100")
    stored = await (await client.get(f"/v1/sites/{site}/settings", headers=bearer(admin))).json()
    assert stored["premoderation"] == "off"

    await form.get_by_label("Reports that send a comment back to review").fill("2")
    await form.get_by_label("max links").fill("5")
    await page.get_by_role("button", name="Save settings").click()
    await expect(page.locator("#settings-state")).to_have_text(re.compile("Saved: "))
    stored = await (await client.get(f"/v1/sites/{site}/settings", headers=bearer(admin))).json()
    assert stored["premoderation"] == "all" and stored["report_threshold"] == 2
    assert stored["rules"]["links"]["max_links"] == 5
    assert stored["allowed_origins"] == ["https://news.example"]  # a PATCH: the rest stays
    # In effect: the next comment waits for a moderator.
    held = await post(client, site, "A calm and considered remark.")
    await decide_all(pool)
    assert [i["id"] for i in await queue(client, site, moderator)] == [held["id"]]


async def test_word_list_is_tried_on_recent_comments_before_it_is_saved(page, make_client, pool,
                                                                        site, screenshots):
    client = await make_client(workers=0)
    _, admin = await setup_site(pool, site)
    await post(client, site, "Win big at the casino tonight", name="Bot")
    await post(client, site, "A calm and considered remark.", name="Ann")
    await decide_all(pool)
    await open_admin(page, client, site, admin)
    await page.get_by_role("tab", name="Word lists").click()
    banned = page.get_by_label("Banned words (rejected)")
    await expect(banned).not_to_have_value("")
    save = page.get_by_role("button", name="Save word lists")
    await expect(save).to_be_disabled()
    await banned.press("End")
    await banned.press("Control+End")
    await banned.type("\ncasino")
    await page.get_by_role("button", name="Try on the last 10,000 comments").click()
    await expect(page.locator("#dry-run-summary")).to_have_text(
        "This change would have stopped 1 and released 0 of the last 2 comments.")
    await expect(page.get_by_role("list", name="Examples")).to_contain_text("Win big at the casino")
    await page.screenshot(path=str(screenshots / "admin-words.png"), full_page=False)
    await banned.type("\nroulette")
    await expect(save).to_be_disabled()
    await page.get_by_role("button", name="Try on the last 10,000 comments").click()
    await expect(save).to_be_enabled()
    await save.click()
    await expect(page.locator("#words-state")).to_have_text("Word lists saved.")
    words = (await (await client.get(f"/v1/sites/{site}/wordlists/banned",
                                     headers=bearer(admin))).json())["words"]
    assert words[-2:] == ["casino", "roulette"]


async def test_tokens_are_created_and_revoked(page, make_client, pool, site):
    client = await make_client(workers=0)
    _, admin = await setup_site(pool, site)
    await open_admin(page, client, site, admin)
    await page.get_by_role("tab", name="People").click()
    tokens = page.get_by_role("table", name="Tokens")
    await expect(tokens).to_contain_text("mona")
    await page.get_by_label("Name", exact=True).fill("Max Mustermann")
    await page.get_by_role("button", name="Create token").click()
    await expect(page.locator("#new-token-who")).to_have_text("Max Mustermann (moderator)")
    token = await page.locator("#new-token-value").text_content()
    assert (await client.get(f"/v1/sites/{site}/queue", headers=bearer(token))).status == 200
    await expect(tokens).to_contain_text("Max Mustermann")
    await page.get_by_role("button", name="Revoke Max Mustermann").click()
    await confirm(page, "Revoke the token of Max Mustermann", "Revoke")
    await expect(tokens).not_to_contain_text("Max Mustermann")
    assert (await client.get(f"/v1/sites/{site}/queue", headers=bearer(token))).status == 401
    # The admin token moderates too: the link to the queue opens it signed in.
    await page.get_by_role("link", name="Review queue").click()
    await expect(page.get_by_role("region", name="Review queue")).to_be_visible()


async def test_a_commenter_is_found_banned_and_unbanned(page, make_client, pool, site, screenshots):
    client = await make_client(workers=0)
    _, admin = await setup_site(pool, site)
    posted = await client.post(f"/v1/sites/{site}/threads/t/comments", json={
        "body": "Hello from Vilnius.", "commenter": {"name": "Greta", "email": "greta@example.org"}})
    assert posted.status == 202
    await decide_all(pool)
    await open_admin(page, client, site, admin)
    await page.get_by_role("tab", name="People").click()
    await page.get_by_label("Name, email or id").fill("greta@EXAMPLE.org")
    await page.get_by_role("button", name="Find").click()
    await page.get_by_role("list", name="Commenters found").get_by_role("button", name="Greta").click()
    card = page.locator("#person")
    await expect(card).to_contain_text("Hello from Vilnius.")
    await expect(page.locator("#person-ban")).to_have_text("Not banned.")
    await expect(page.get_by_role("list", name="Commenters found")).to_contain_text("1 comment")
    await page.screenshot(path=str(screenshots / "admin-people.png"), full_page=False)
    await page.get_by_role("button", name="Ban 7 days").click()
    await confirm(page, "Ban Greta for 7 days?", "Ban")
    await expect(page.locator("#person-ban")).to_contain_text("Banned until")
    await page.get_by_role("button", name="Ban permanently").click()
    await confirm(page, "Ban Greta permanently?", "Ban")
    await expect(page.locator("#person-ban")).to_contain_text("Banned permanently")
    person = (await (await client.get(f"/v1/sites/{site}/commenters", params={"q": "greta"},
                                      headers=bearer(admin))).json())["items"][0]
    assert person["banned"] is True
    await page.get_by_role("button", name="Unban").click()
    await expect(page.locator("#person-ban")).to_have_text("Not banned.")
    profile = await (await client.get(f"/v1/sites/{site}/commenters/{person['id']}",
                                      headers=bearer(admin))).json()
    assert profile["ban"] is None
    await page.get_by_role("button", name="Export data").click()
    await expect(page.locator("#export-json")).to_contain_text("greta@example.org")


async def test_rules_at_work_audit_filters_and_the_embed_snippet(page, make_client, pool, site,
                                                                screenshots):
    client = await make_client(workers=0)
    mona, admin = await setup_site(pool, site)
    held = [await post(client, site, HELD_TEXT + f" {n}", name=f"R{n}") for n in range(3)]
    await decide_all(pool)
    await decide(client, site, held[0]["id"], "approve", mona)
    await decide(client, site, held[1]["id"], "reject", mona, reason_code="abuse")
    await open_admin(page, client, site, admin)
    await page.get_by_role("tab", name="Rules at work").click()
    suspect = page.locator(".rule-activity[data-rule=suspect_words]")
    await expect(suspect).to_contain_text("fired 3, overturned 1 (33 %)")
    await expect(suspect.get_by_role("img", name="suspect words per day")).to_be_visible()
    audit = page.get_by_role("table", name="Audit log")
    await expect(audit.locator("tbody tr")).to_have_count(5)
    await page.locator("#audit-actor").select_option("moderator:mona")
    await page.locator("#audit-action").select_option("reject")
    await page.get_by_role("button", name="Show").click()
    await expect(audit.locator("tbody tr")).to_have_count(1)
    await expect(audit.locator("tbody tr")).to_contain_text("[abuse]")
    await page.screenshot(path=str(screenshots / "admin-rules.png"), full_page=False)

    await page.get_by_role("tab", name="Embed and SSO").click()
    await expect(page.locator("#snippet")).to_contain_text(f'data-site="{site}"')
    await expect(page.locator("#snippet")).to_contain_text(str(client.make_url("/embed.js")))
    await expect(page.locator("#sso-state")).to_contain_text("off")
    await page.get_by_role("button", name="Generate a new secret").click()
    await confirm(page, "Generate a new SSO secret?", "Generate")
    await expect(page.locator("#sso-secret-value")).to_have_text(re.compile(r"^\S{40,}$"))
    assert (await sites.fetch_site(pool, site)).sso_secret == \
        await page.locator("#sso-secret-value").text_content()


async def test_markup_in_people_and_the_audit_stays_text(page, make_client, pool, site):
    client = await make_client(workers=0)
    mona, admin = await setup_site(pool, site)
    name = '<img src=x onerror="alert(1)">Eve'
    posted = await post(client, site, HELD_TEXT + ' <script>alert(2)</script>', name=name)
    await decide_all(pool)
    await decide(client, site, posted["id"], "reject", mona,
                 reason="<b onmouseover=alert(3)>rude</b>")
    await open_admin(page, client, site, admin)
    await page.get_by_role("tab", name="People").click()
    await page.get_by_label("Name, email or id").fill("<img")
    await page.get_by_role("button", name="Find").click()
    await page.get_by_role("list", name="Commenters found").get_by_role("button", name=name).click()
    await expect(page.locator("#person-name")).to_have_text(name)
    await expect(page.locator("#person-history")).to_contain_text("<script>alert(2)</script>")
    await page.get_by_role("tab", name="Rules at work").click()
    await expect(page.get_by_role("table", name="Audit log")).to_contain_text(
        "<b onmouseover=alert(3)>rude</b>")
    assert await page.locator("main img, main script, main b").count() == 0
