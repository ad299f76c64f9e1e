"""The moderators' page /moderate and its script and stylesheet: static files, no build step.

The page holds the moderator's token, so it runs under a strict CSP (no inline script, only this
origin) and is never framed. The script and stylesheet are versioned by content hash: the page
asks for `?v=<hash>` and those answers are cached for a year.
"""

from __future__ import annotations

import functools
from typing import Annotated

from aiohttp import web
from pydantic import BaseModel, Field

from moderation.web.pages import STATIC, YEAR_S, Asset, make_asset, serve
from moderation.web.registry import endpoint

MODERATE_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
                "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
PAGE_HEADERS = {"Content-Security-Policy": MODERATE_CSP, "Referrer-Policy": "no-referrer",
                "X-Frame-Options": "DENY"}


@functools.cache
def moderate_script() -> Asset:
    return make_asset((STATIC / "moderate.js").read_bytes())


@functools.cache
def moderate_styles() -> Asset:
    return make_asset((STATIC / "moderate.css").read_bytes())


@functools.cache
def moderate_html() -> Asset:
    html = (STATIC / "moderate.html").read_text("utf-8")
    html = html.replace("%SCRIPT_SRC%", f"/moderate.js?v={moderate_script().version}")
    html = html.replace("%STYLE_HREF%", f"/moderate.css?v={moderate_styles().version}")
    return make_asset(html.encode())


class AssetQuery(BaseModel):
    v: Annotated[str, Field(max_length=64, description="the file's version; a matching one is "
                                                   "cached for a year")] | None = None


def asset_cache(request: web.Request, asset: Asset) -> str:
    if request.query.get("v") == asset.version:
        return f"public, max-age={YEAR_S}, immutable"
    return "no-cache"


@endpoint("GET", "/moderate", "The moderators' page: the review queue in the browser", "meta",
          content_type="text/html")
async def moderate(request: web.Request) -> web.Response:
    return serve(request, moderate_html(), "text/html", "no-cache", PAGE_HEADERS)


@endpoint("GET", "/moderate.js", "The moderators' page script", "meta", query=AssetQuery,
          content_type="text/javascript")
async def moderate_js(request: web.Request) -> web.Response:
    asset = moderate_script()
    return serve(request, asset, "text/javascript", asset_cache(request, asset))


@endpoint("GET", "/moderate.css", "The moderators' page stylesheet", "meta", query=AssetQuery,
          content_type="text/css")
async def moderate_css(request: web.Request) -> web.Response:
    asset = moderate_styles()
    return serve(request, asset, "text/css", asset_cache(request, asset))
