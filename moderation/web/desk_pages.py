"""The newsroom's desk pages, /moderate (moderators) and /admin (admins), and their scripts and
stylesheets: static files, no build step.

Both pages are one frame, desk.html (head, bar, sign-in, confirmation dialog), whose `{slot}`s
each page's file fills: `<!-- slot -->` and what follows it, up to the next one.
The pages hold a moderator's or admin's token, so they run under a strict CSP (no inline script,
only this origin) and are never framed. A page names its files as `%name.js%` and `%name.css%`;
they are served versioned by content hash (`?v=<hash>`), and those answers are cached for a year.
"""

from __future__ import annotations

import functools
import re
from typing import Annotated

from aiohttp import web
from pydantic import BaseModel, Field

from moderation.web.pages import STATIC, YEAR_S, Asset, make_asset, serve
from moderation.web.registry import endpoint

DESK_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
            "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
PAGE_HEADERS = {"Content-Security-Policy": DESK_CSP, "Referrer-Policy": "no-referrer",
                "X-Frame-Options": "DENY"}
ASSET_NAME = re.compile(r"%([a-z]+\.(?:js|css))%")
PART = re.compile(r"^<!-- (\w+) -->\n", re.MULTILINE)
# A slot alone on its line takes whole lines (none when the part is empty); any other, the text.
SLOT = re.compile(r"^\{(\w+)\}\n|\{(\w+)\}", re.MULTILINE)


@functools.cache
def static_file(name: str) -> Asset:
    return make_asset((STATIC / name).read_bytes())


def framed(frame: str, page: str) -> str:
    """The frame with its slots filled by the page's parts; every slot needs a part, and every
    part a slot."""
    pieces = PART.split(page)[1:]
    parts = {name: text.strip("\n") for name, text in zip(pieces[::2], pieces[1::2], strict=True)}
    slots = {m[1] or m[2] for m in SLOT.finditer(frame)}
    if slots != parts.keys():
        raise ValueError(f"desk page parts {sorted(parts)} do not fill the slots {sorted(slots)}")

    def fill(slot: re.Match[str]) -> str:
        if slot[1] is None:
            return parts[slot[2]]
        return parts[slot[1]] + "\n" if parts[slot[1]] else ""

    return SLOT.sub(fill, frame)


@functools.cache
def desk_page(name: str) -> Asset:
    html = framed((STATIC / "desk.html").read_text("utf-8"), (STATIC / name).read_text("utf-8"))
    html = ASSET_NAME.sub(lambda m: f"/{m[1]}?v={static_file(m[1]).version}", html)
    return make_asset(html.encode())


class AssetQuery(BaseModel):
    v: Annotated[str, Field(max_length=64, description="the file's version; a matching one is "
                                                   "cached for a year")] | None = None


def asset_cache(request: web.Request, asset: Asset) -> str:
    if request.query.get("v") == asset.version:
        return f"public, max-age={YEAR_S}, immutable"
    return "no-cache"


def serve_page(path: str, file: str, summary: str) -> None:
    async def page(request: web.Request) -> web.Response:
        return serve(request, desk_page(file), "text/html", "no-cache", PAGE_HEADERS)

    page.__name__ = file.split(".")[0] + "_page"
    endpoint("GET", path, summary, "meta", content_type="text/html")(page)


def serve_file(file: str, content_type: str, summary: str) -> None:
    async def static(request: web.Request) -> web.Response:
        asset = static_file(file)
        return serve(request, asset, content_type, asset_cache(request, asset))

    static.__name__ = file.replace(".", "_")
    endpoint("GET", "/" + file, summary, "meta", query=AssetQuery, content_type=content_type)(static)


serve_page("/moderate", "moderate.html", "The moderators' page: the review queue in the browser")
serve_page("/admin", "admin.html", "The admin page: settings, word lists, people, rules at work")
serve_file("desk.js", "text/javascript", "What both desk pages' scripts share")
serve_file("moderate.js", "text/javascript", "The moderators' page script")
serve_file("admin.js", "text/javascript", "The admin page script")
serve_file("moderate.css", "text/css", "The desk pages' stylesheet")
serve_file("admin.css", "text/css", "The admin page's own styles")
