"""count.js on a publisher's article list: every [data-moderation-count] filled, one request per
100 threads."""

from __future__ import annotations

from playwright.async_api import expect

from tests.factories import drain, post_comment


async def test_counts_fill_an_article_list_with_one_request_per_100_threads(page, host, server,
                                                                            app_client, new_site,
                                                                            pool):
    site = await new_site(origins=[host.origin])
    # Two different texts: near-copies from one reader are the duplicate rule's to reject.
    for text in ("A thoughtful piece on the harbour plans.", "I disagree about the ferry times."):
        await post_comment(app_client, site, thread="thread-3", text=text)
    await post_comment(app_client, site, thread="thread-140")
    await drain(pool)
    items = "".join(f'<li>Article {n} <span data-moderation-count="thread-{n}"></span></li>'
                    for n in range(150))
    host.html = f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>List</title>
</head><body><ul>{items}</ul>
<p>Again: <span id="again" data-moderation-count="thread-3"></span></p>
<p lang="de">Auf Deutsch: <span id="german" data-lang="de" data-moderation-count="thread-140"></span></p>
<p>Not a thread: <span id="bad" data-moderation-count="../../etc">unchanged</span></p>
<script src="{server}/count.js" data-site="{site}" async></script></body></html>"""
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url) if "/counts?" in request.url else None)
    await page.goto(f"{host.origin}/article")
    await expect(page.locator("[data-moderation-count='thread-3']").first).to_have_text("2 comments")
    await expect(page.locator("#again")).to_have_text("2 comments")
    await expect(page.locator("[data-moderation-count='thread-140']").first).to_have_text("1 comment")
    await expect(page.locator("#german")).to_have_text("1 Kommentar")
    await expect(page.locator("[data-moderation-count='thread-149']")).to_have_text("0 comments")
    await expect(page.locator("#bad")).to_have_text("unchanged")
    assert len(requests) == 2  # 150 threads: 100 and 50


async def test_count_js_is_served_as_a_cacheable_script(app_client):
    response = await app_client.get("/count.js")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/javascript")
    assert response.headers["ETag"] and "max-age" in response.headers["Cache-Control"]
