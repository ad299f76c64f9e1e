"""The widget script and the demo article page: static files served with content-hash ETags.

/embed.js is cached for a year when asked for with its version (`?v=<hash>`, as the demo page
does) and for ten minutes without, so sites that paste the plain snippet still get updates.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from aiohttp import web
from pydantic import BaseModel, Field

from moderation.web.registry import endpoint

STATIC = Path(__file__).resolve().parent / "static"
YEAR_S = 365 * 24 * 3600
UNVERSIONED_S = 600
DEMO_CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


@dataclass(frozen=True, slots=True)
class Asset:
    body: bytes
    gzipped: bytes
    version: str

    @property
    def etag(self) -> str:
        return f'"{self.version}"'


def make_asset(body: bytes) -> Asset:
    return Asset(body, gzip.compress(body, 9, mtime=0), hashlib.sha256(body).hexdigest()[:16])


@functools.cache
def embed_script() -> Asset:
    return make_asset((STATIC / "embed.js").read_bytes())


@functools.cache
def demo_page() -> Asset:
    html = (STATIC / "demo.html").read_text("utf-8")
    return make_asset(html.replace("%EMBED_SRC%", f"/embed.js?v={embed_script().version}").encode())


def serve(request: web.Request, asset: Asset, content_type: str, cache_control: str,
          headers: dict[str, str] | None = None) -> web.Response:
    headers = {"ETag": asset.etag, "Cache-Control": cache_control, "Vary": "Accept-Encoding",
               "X-Content-Type-Options": "nosniff", **(headers or {})}
    if asset.etag in request.headers.get("If-None-Match", ""):
        return web.Response(status=304, headers=headers)
    body = asset.body
    if "gzip" in request.headers.get("Accept-Encoding", ""):
        body = asset.gzipped
        headers["Content-Encoding"] = "gzip"
    return web.Response(body=body, headers=headers, content_type=content_type, charset="utf-8")


class EmbedQuery(BaseModel):
    v: Annotated[str, Field(max_length=64, description="the script's version; a matching one is "
                                                   "cached for a year")] | None = None


@endpoint("GET", "/embed.js", "The comment and rating widget: one script tag under an article", "meta",
          query=EmbedQuery, content_type="text/javascript")
async def embed_js(request: web.Request) -> web.Response:
    return serve_script(request, embed_script())


def serve_script(request: web.Request, asset: Asset) -> web.Response:
    """A script for publishers' pages: a year in caches when asked for with its version."""
    versioned = request.query.get("v") == asset.version
    cache_control = (f"public, max-age={YEAR_S}, immutable" if versioned
                     else f"public, max-age={UNVERSIONED_S}")
    # Any site may load the script, also from pages that require cross-origin resource policy.
    return serve(request, asset, "text/javascript", cache_control,
                 {"Cross-Origin-Resource-Policy": "cross-origin"})


@functools.cache
def count_script() -> Asset:
    return make_asset((STATIC / "count.js").read_bytes())


@endpoint("GET", "/count.js", "Comment counts for article lists: fills [data-moderation-count]",
          "meta", query=EmbedQuery, content_type="text/javascript")
async def count_js(request: web.Request) -> web.Response:
    return serve_script(request, count_script())


@endpoint("GET", "/demo", "The demo article with the widget under it", "meta", content_type="text/html")
async def demo(request: web.Request) -> web.Response:
    return serve(request, demo_page(), "text/html", "no-cache",
                 {"Content-Security-Policy": DEMO_CSP, "Referrer-Policy": "same-origin"})
