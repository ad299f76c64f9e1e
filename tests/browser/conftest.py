"""A real headless Chromium (Debian's) driven by Playwright, and host pages for the widget.

Playwright's sync API cannot run inside the session's asyncio loop, so these use the async API.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from playwright.async_api import async_playwright

from moderation.sites import store as sites
from moderation.sites.demo import ensure_demo_site
from moderation.sites.settings import SiteSettings

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture
def screenshots(tmp_path) -> Path:
    """docs/ when SAVE_SCREENSHOTS=1 (to refresh the README's pictures), else a scratch folder."""
    if os.environ.get("SAVE_SCREENSHOTS") == "1":
        return Path(__file__).resolve().parents[2] / "docs"
    return tmp_path


@pytest.fixture(scope="session")
async def browser():
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                                    args=CHROMIUM_ARGS)
        yield chromium
        await chromium.close()


@pytest.fixture
async def page(browser):
    """A fresh browser context; any dialog or uncaught page error fails the test."""
    context = await browser.new_context(viewport={"width": 1000, "height": 900})
    page = await context.new_page()
    dialogs: list[str] = []
    errors: list[str] = []

    async def refuse(dialog):
        dialogs.append(dialog.message)
        await dialog.dismiss()

    page.on("dialog", refuse)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda message: print("console:", message.type, message.text))
    page.on("requestfailed", lambda request: print("request failed:", request.url, request.failure))
    page.set_default_timeout(10_000)
    yield page
    await context.close()
    assert dialogs == [], f"a dialog opened: {dialogs}"
    assert errors == [], f"the page threw: {errors}"


@pytest.fixture
async def app_client(make_client):
    """The real app with its workers on a local port."""
    return await make_client()


@pytest.fixture
def server(app_client) -> str:
    """The app's base URL, without the trailing slash."""
    return str(app_client.make_url("/")).rstrip("/")


async def tune_site(pool, site: str, **rules) -> None:
    """Changes rule parameters of a site, as an admin would with PUT /settings."""
    raw = await pool.fetchval("SELECT settings FROM sites WHERE site_id = $1", site)
    settings = SiteSettings.model_validate(raw)
    merged = {**settings.rules, **rules}
    await sites.save_settings(pool, site, settings.model_copy(update={"rules": merged}))


@pytest.fixture
async def demo_server(server, pool):
    """The server with the demo site allowing its origin. Browsers fill forms faster than
    people, so the honeypot's minimum time is off here (test_widget checks it on its own)."""
    await ensure_demo_site(pool, [server])
    await tune_site(pool, "demo", honeypot={"min_elapsed_ms": 0})
    return server


class HostSite:
    """A publisher's article page on another origin, served by a second local server, with no
    CSP: injected script would really run. (A real loopback server, because Chromium blocks pages
    it cannot place on the local network from loading the widget from 127.0.0.1.)"""

    def __init__(self, server: str) -> None:
        self.server = server
        self.html = ""
        self.origin = ""

    async def article(self, request: web.Request) -> web.Response:
        return web.Response(text=self.html, content_type="text/html")

    async def open(self, page, widgets: str, css: str = "", path: str = "/article") -> None:
        self.html = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Host article</title><style>{css}</style></head><body><h1>An article on another site</h1>
{widgets}<script src="{self.server}/embed.js" async></script></body></html>"""
        await page.goto(f"{self.origin}{path}")


@pytest.fixture
async def host(server):
    site = HostSite(server)
    app = web.Application()
    app.router.add_get("/article", site.article)
    test_server = TestServer(app, host="127.0.0.1")
    await test_server.start_server()
    site.origin = str(test_server.make_url("/")).rstrip("/")
    yield site
    await test_server.close()


async def deep_active(page) -> str:
    """A short description of the element that has focus, looking inside shadow roots."""
    return await page.evaluate("""() => {
        let el = document.activeElement;
        while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
        if (!el) return "";
        const label = el.labels && el.labels[0] ? el.labels[0].textContent : "";
        return [el.tagName.toLowerCase(), el.getAttribute("name") || "", label, el.textContent.trim().slice(0, 60)].join("|");
    }""")


async def tab_to(page, predicate, limit: int = 80, key: str = "Tab") -> str:
    """Presses Tab until the focused element's description satisfies `predicate`."""
    seen = []
    for _ in range(limit):
        await page.keyboard.press(key)
        active = await deep_active(page)
        seen.append(active)
        if predicate(active):
            return active
    raise AssertionError(f"never focused the wanted element; focus went through {seen}")
