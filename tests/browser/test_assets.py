"""/embed.js and /demo over HTTP: size, caching by content hash, OpenAPI, and the demo site."""

from __future__ import annotations

import asyncio
import gzip
import re

from moderation.config import Config
from moderation.sites import store as sites
from moderation.sites.demo import DEMO_SITE, MAX_ORIGINS, demo_origins, ensure_demo_site

GZIP_BUDGET = 20 * 1024


async def test_embed_js_is_small(app_client):
    response = await app_client.get("/embed.js", headers={"Accept-Encoding": "identity"})
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/javascript")
    script = await response.read()
    assert len(gzip.compress(script, 9)) < GZIP_BUDGET
    assert b"innerHTML" not in script  # user text only ever goes in as textContent


async def test_embed_js_is_cached_by_its_content_hash(app_client):
    plain = await app_client.get("/embed.js")
    etag = plain.headers["ETag"]
    version = etag.strip('"')
    assert re.fullmatch(r"[0-9a-f]{16}", version)
    assert plain.headers["Cache-Control"] == "public, max-age=600"
    versioned = await app_client.get(f"/embed.js?v={version}")
    assert "immutable" in versioned.headers["Cache-Control"]
    assert "max-age=31536000" in versioned.headers["Cache-Control"]
    stale = await app_client.get("/embed.js?v=0000000000000000")
    assert stale.headers["Cache-Control"] == "public, max-age=600"
    again = await app_client.get("/embed.js", headers={"If-None-Match": etag})
    assert again.status == 304
    compressed = await app_client.get("/embed.js", headers={"Accept-Encoding": "gzip"},
                                      auto_decompress=False)
    assert compressed.headers["Content-Encoding"] == "gzip"
    assert len(await compressed.read()) < GZIP_BUDGET


async def test_demo_page_loads_the_versioned_script(app_client):
    version = (await app_client.get("/embed.js")).headers["ETag"].strip('"')
    page = await app_client.get("/demo")
    assert page.status == 200
    assert page.headers["Content-Type"].startswith("text/html")
    html = await page.text()
    assert f'src="/embed.js?v={version}"' in html
    assert 'data-site="demo"' in html and 'data-author="killian-jones"' in html
    assert 'data-thread="relations-with-russia-have-hit-rock-bottom"' in html


async def test_openapi_lists_the_widget_and_the_demo(app_client):
    paths = (await (await app_client.get("/openapi.json")).json())["paths"]
    assert "text/javascript" in paths["/embed.js"]["get"]["responses"]["200"]["content"]
    assert "text/html" in paths["/demo"]["get"]["responses"]["200"]["content"]


async def test_demo_site_is_created_once_and_merges_origins(pool):
    origins = ["http://127.0.0.1:18080", "http://localhost:18080"]
    await asyncio.gather(*(ensure_demo_site(pool, origins) for _ in range(4)))
    await ensure_demo_site(pool, origins)
    site = await sites.fetch_site(pool, DEMO_SITE)
    assert site is not None
    allowed = site.settings.allowed_origins
    assert all(allowed.count(origin) == 1 for origin in origins)
    await ensure_demo_site(pool, [f"http://127.0.0.1:{port}" for port in range(30000, 30000 + MAX_ORIGINS + 5)])
    site = await sites.fetch_site(pool, DEMO_SITE)
    assert len(site.settings.allowed_origins) == MAX_ORIGINS


def test_demo_origins_are_the_servers_own():
    assert demo_origins(Config(host="0.0.0.0", port=9000, public_url="https://news.example/c/")) == [
        "http://127.0.0.1:9000", "http://localhost:9000", "https://news.example"]
    assert demo_origins(Config(host="comments.internal", port=80)) == ["http://comments.internal:80"]
