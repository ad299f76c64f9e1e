"""The widget on a publisher's own page (another origin, no CSP): XSS, hostile CSS, several
widgets and languages, error states, kind rejection, paging and sorting, a missing rating API."""

from __future__ import annotations

import re

from playwright.async_api import expect

from tests.browser.conftest import tune_site
from tests.conftest import wait_for
from tests.factories import post_comment

XSS = [
    "<script>alert('xss-1');window.__xss=1</script>",
    "<img src=x onerror=\"alert('xss-2');window.__xss=1\">",
    "<a href=\"javascript:alert('xss-3')\">click me</a>",
    "<svg onload=\"alert('xss-4');window.__xss=1\"></svg>",
    "<svg><script>alert('xss-5')</script></svg>",
    "&lt;script&gt;alert('xss-6')&lt;/script&gt;",
    "%3Cscript%3Ealert('xss-7')%3C%2Fscript%3E",
    "<iframe src=\"javascript:alert('xss-8')\"></iframe>",
    "\"><img src=x onerror=alert('xss-9')>",
    "<body onload=alert('xss-10')>",
    "<details open ontoggle=alert('xss-11')>",
    "\\u003cimg src=x onerror=alert('xss-12')\\u003e",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert('xss-13')>",
    "javascript:/*--></title></style></textarea></script><svg/onload='+/\"/+/onmouseover=1/+/[*/[]/+alert(14)//'>",
]

HOSTILE_CSS = """
* { display: inline !important; color: transparent !important; font-size: 2px !important;
    visibility: visible; background: #000 !important; }
button, input, textarea, select, form, label, h2, h3 { display: none !important; }
div { position: absolute !important; left: -5000px !important; opacity: 0 !important; }
.m, .m-form, .m-list, .m-c { display: none !important; }
"""


def widget_div(site: str, thread: str = "article-1", **data: str) -> str:
    attrs = " ".join(f'data-{k.replace("_", "-")}="{v}"' for k, v in data.items())
    return (f'<div class="moderation-comments" data-site="{site}" data-thread="{thread}" '
            f'data-author="killian-jones" {attrs}></div>')


async def host_site(new_site, pool, host) -> str:
    site = await new_site(origins=[host.origin])
    await tune_site(pool, site, honeypot={"min_elapsed_ms": 0})
    return site


async def approved(app_client, site: str, comment: dict) -> bool:
    response = await app_client.get(f"/v1/sites/{site}/comments/{comment['id']}",
                                    headers={"X-Edit-Token": comment["edit_token"]})
    return response.status == 200 and (await response.json())["status"] != "pending"


async def test_xss_payloads_stay_literal_text(page, host, app_client, new_site, pool):
    site = await host_site(new_site, pool, host)
    posted = [await post_comment(app_client, site, thread="xss", text=payload) for payload in XSS]
    for comment in posted:
        await wait_for(lambda c=comment: approved(app_client, site, c))
    # Whatever the rules held (links, markup), a moderator approves: the widget must show it all.
    await pool.execute("UPDATE comments SET status = 'approved' WHERE site_id = $1", site)

    await host.open(page, widget_div(site, "xss", page_size="50"))
    widget = page.locator(".moderation-comments")
    await expect(widget.locator(".m-body")).to_have_count(len(XSS))
    shown = await widget.locator(".m-body").all_text_contents()
    assert sorted(shown) == sorted(XSS)

    # Typed into the form, a payload is also shown as text while it awaits moderation.
    await widget.get_by_label("Name").fill("<img src=x onerror=alert('name')>")
    await widget.get_by_label("Comment", exact=True).fill(XSS[1])
    await widget.get_by_role("button", name="Post comment").click()
    await expect(widget.locator(".m-own .m-body")).to_have_text(XSS[1])
    await expect(widget.locator(".m-own .m-name")).to_have_text("<img src=x onerror=alert('name')>")

    injected = await page.evaluate("""() => {
        const root = document.querySelector('.moderation-comments').shadowRoot;
        return {
            xss: window.__xss || 0,
            elements: root.querySelectorAll('script, img, svg, iframe, a, math, details, body').length,
            handlers: [...root.querySelectorAll('*')].filter(
                el => [...el.attributes].some(a => a.name.startsWith('on'))).length,
        };
    }""")
    assert injected == {"xss": 0, "elements": 0, "handlers": 0}


async def test_hostile_host_css_does_not_break_the_widget(page, host, new_site, pool):
    site = await host_site(new_site, pool, host)
    await host.open(page, widget_div(site), css=HOSTILE_CSS)
    widget = page.locator(".moderation-comments")
    box = await widget.bounding_box()
    assert box is not None and box["height"] > 200 and box["width"] > 300
    body = widget.get_by_label("Comment", exact=True)
    await expect(body).to_be_visible()
    color = await body.evaluate("el => getComputedStyle(el).color")
    assert color != "rgba(0, 0, 0, 0)"
    await widget.get_by_label("Name").fill("Host Reader")
    await body.fill("Still readable and usable.")
    post = widget.get_by_role("button", name="Post comment")
    await expect(post).to_be_visible()
    await post.click()
    await expect(widget.locator("article", has_text="Still readable and usable.")).to_be_visible()
    # Our styles stay inside the shadow root: the host page's own elements are untouched.
    heading_display = await page.locator("h1").evaluate("el => getComputedStyle(el).display")
    assert heading_display == "inline"


async def test_several_widgets_and_german(page, host, new_site, pool):
    site = await host_site(new_site, pool, host)
    widgets = widget_div(site, "one") + widget_div(site, "two", lang="de")
    await host.open(page, widgets)
    english, german = page.locator(".moderation-comments").nth(0), page.locator(".moderation-comments").nth(1)
    await expect(english.get_by_role("heading", name="Add a comment")).to_be_visible()
    await expect(german.get_by_role("heading", name="Kommentar schreiben")).to_be_visible()
    await expect(german.get_by_role("button", name="Kommentar senden")).to_be_visible()
    await german.get_by_label("Name").fill("Leserin")
    await german.get_by_label("Kommentar", exact=True).fill("Ein Kommentar zum zweiten Artikel.")
    await german.get_by_role("button", name="Kommentar senden").click()
    await expect(german.locator(".m-count")).to_have_text("1 Kommentar")
    await expect(english.locator(".m-count")).to_have_text("0 comments")


async def test_error_states_keep_the_typed_text(page, host, new_site, pool):
    site = await host_site(new_site, pool, host)
    await host.open(page, widget_div(site))
    widget = page.locator(".moderation-comments")
    text = "A long and careful comment that must never be lost."
    await widget.get_by_label("Name").fill("Patient Reader")
    await widget.get_by_label("Comment", exact=True).fill(text)
    post_url = f"**/v1/sites/{site}/threads/article-1/comments"
    answers = [
        dict(status=429, headers={"Retry-After": "30", "Access-Control-Allow-Origin": "*",
                                  "Access-Control-Expose-Headers": "Retry-After"},
             content_type="application/json",
             body='{"error":{"code":"too_many_requests","message":"slow down","details":[]}}'),
        dict(status=422, headers={"Access-Control-Allow-Origin": "*"}, content_type="application/json",
             body='{"error":{"code":"validation_failed","message":"invalid","details":'
                  '[{"field":"body","message":"String should have at most 10 characters","type":"string_too_long"}]}}'),
    ]

    async def answer(route):
        if route.request.method != "POST":
            await route.continue_()
        elif answers:
            await route.fulfill(**answers.pop(0))
        else:
            await route.abort("connectionrefused")

    await page.route(post_url, answer)
    error = widget.locator(".m-form .m-error").first
    post = widget.get_by_role("button", name="Post comment")
    body = widget.get_by_label("Comment", exact=True)

    await post.click()
    await expect(error).to_have_text(re.compile(r"try again in 30 seconds"))
    await expect(body).to_have_value(text)

    await post.click()
    await expect(widget.locator(".m-ferr")).to_have_text(
        "Comment: String should have at most 10 characters")
    await expect(body).to_have_attribute("aria-invalid", "true")
    await expect(body).to_have_value(text)

    await post.click()
    await expect(error).to_have_text(re.compile(r"couldn't reach the comment server"))
    await expect(body).to_have_value(text)
    await expect(widget.locator(".m-ferr")).to_have_count(0)

    await page.unroute(post_url)
    await post.click()
    await expect(widget.locator("article", has_text=text)).to_be_visible()
    await expect(body).to_have_value("")


async def test_a_rejected_comment_is_told_kindly(page, host, new_site):
    site = await new_site(origins=[host.origin])
    await host.open(page, widget_div(site))
    widget = page.locator(".moderation-comments")
    # What a bot does: fill in the hidden honeypot field.
    await widget.locator("input[name=website]").fill("http://spam.example")
    await widget.get_by_label("Name").fill("Bot")
    await widget.get_by_label("Comment", exact=True).fill("Cheap pills here")
    await widget.get_by_role("button", name="Post comment").click()
    mine = widget.locator(".m-own")
    # The statement of reasons: the policy, who decided, how to appeal.
    await expect(mine.locator(".m-status")).to_have_text("Not published: Spam or advertising")
    await expect(mine.locator(".m-note")).to_contain_text("Our automatic filters decided this.")
    await expect(mine).to_have_class(re.compile("m-rejected"))
    await expect(mine.get_by_role("button", name="Appeal this decision")).to_be_visible()


async def test_the_statement_of_reasons_is_in_the_readers_language(page, host, new_site, pool):
    site = await new_site(origins=[host.origin])
    await pool.execute("""UPDATE sites SET settings = jsonb_set(settings, '{rejection_reasons}',
        '[{"code": "spam", "label": "Werbung", "explanation": "Werbung veröffentlichen wir nicht."}]')
        WHERE site_id = $1""", site)
    await host.open(page, widget_div(site, lang="de"))
    widget = page.locator(".moderation-comments")
    await widget.locator("input[name=website]").fill("http://spam.example")
    await widget.get_by_label("Name").fill("Bot")
    await widget.get_by_label("Kommentar", exact=True).fill("Billige Pillen hier")
    await widget.get_by_role("button", name="Kommentar senden").click()
    mine = widget.locator(".m-own")
    await expect(mine.locator(".m-status")).to_have_text("Nicht veröffentlicht: Werbung")
    await expect(mine.locator(".m-note")).to_have_text(re.compile(
        "^Werbung veröffentlichen wir nicht. Das haben unsere automatischen Filter entschieden. "
        "Wenn Sie das für einen Fehler halten"))
    await expect(mine.get_by_role("button", name="Einspruch einlegen")).to_be_visible()


async def test_load_more_by_cursor_and_sort(page, host, app_client, new_site, pool):
    site = await host_site(new_site, pool, host)
    posted = [await post_comment(app_client, site, thread="busy", text=f"Comment number {i}")
              for i in range(7)]
    for comment in posted:
        await wait_for(lambda c=comment: approved(app_client, site, c))
    await host.open(page, widget_div(site, "busy", page_size="3"))
    widget = page.locator(".moderation-comments")
    bodies = widget.locator(".m-body")
    await expect(widget.locator(".m-count")).to_have_text("7 comments")
    await expect(bodies).to_have_count(3)
    await expect(bodies.first).to_have_text("Comment number 6")
    more = widget.get_by_role("button", name="Load more comments")
    await more.click()
    await expect(bodies).to_have_count(6)
    await more.click()
    await expect(bodies).to_have_count(7)
    await expect(more).to_be_hidden()
    await widget.get_by_role("button", name="Oldest").click()
    await expect(widget.get_by_role("button", name="Oldest")).to_have_attribute("aria-pressed", "true")
    await expect(bodies).to_have_count(3)
    await expect(bodies.first).to_have_text("Comment number 0")


async def test_stars_are_hidden_when_there_is_no_rating_api(page, host, new_site, pool):
    site = await host_site(new_site, pool, host)

    async def missing(route):
        await route.fulfill(status=404, content_type="application/json",
                            headers={"Access-Control-Allow-Origin": "*"},
                            body='{"error":{"code":"not_found","message":"no such endpoint","details":[]}}')

    await page.route("**/authors/*/rating", missing)
    await host.open(page, widget_div(site))
    widget = page.locator(".moderation-comments")
    await expect(widget.get_by_role("heading", name="Add a comment")).to_be_visible()
    await expect(widget.locator(".m-rating")).to_be_hidden()


async def test_sso_token_and_form_signals_are_sent(page, host, new_site, pool):
    site = await host_site(new_site, pool, host)
    await host.open(page, widget_div(site, sso_token="signed-by-the-site"))
    widget = page.locator(".moderation-comments")
    await expect(widget.get_by_label("Name")).to_be_hidden()  # the site knows who the reader is
    await widget.get_by_label("Comment", exact=True).fill("Written as a signed-in reader.")
    async with page.expect_request(lambda r: r.method == "POST" and "/comments" in r.url) as posted:
        await widget.get_by_role("button", name="Post comment").click()
    payload = (await posted.value).post_data_json
    assert payload["sso_token"] == "signed-by-the-site"
    assert "commenter" not in payload and "website" not in payload
    assert isinstance(payload["elapsed_ms"], int) and payload["elapsed_ms"] >= 0
    assert payload["thread_url"] == f"{host.origin}/article"
    # This site has no SSO secret, so the server refuses the token; the widget says so kindly.
    await expect(widget.locator(".m-form .m-error")).to_contain_text("Your text is still here")
    await expect(widget.get_by_label("Comment", exact=True)).to_have_value("Written as a signed-in reader.")


async def test_the_page_address_is_sent_without_query_and_fragment(page, host, new_site, pool):
    """A reader's campaign ids, session and tokens in the address stay on the publisher's page."""
    site = await host_site(new_site, pool, host)
    await host.open(page, widget_div(site), path="/article?utm_source=mail&session=s3cret#comments")
    widget = page.locator(".moderation-comments")
    await widget.get_by_label("Name").fill("Ada")
    await widget.get_by_label("Comment", exact=True).fill("A remark from a reader who came by mail.")
    async with page.expect_request(lambda r: r.method == "POST" and "/comments" in r.url) as posted:
        await widget.get_by_role("button", name="Post comment").click()
    assert (await posted.value).post_data_json["thread_url"] == f"{host.origin}/article"
    stored = await wait_for(lambda: pool.fetchval("SELECT url FROM threads WHERE site_id = $1", site))
    assert stored == f"{host.origin}/article"
