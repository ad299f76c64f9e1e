"""Strong ETags of exact answer bytes, If-None-Match, and cacheable answers (200 or 304)."""

from __future__ import annotations

import hashlib

from aiohttp import web


def etag_matches(header: str | None, etag: str) -> bool:
    """If-None-Match uses the weak comparison: W/ is ignored, * matches anything."""
    if not header:
        return False
    return any(tag.strip() in ("*", etag) or tag.strip().removeprefix("W/") == etag
               for tag in header.split(","))


def strong_etag(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'


def cacheable(request: web.Request, body: bytes, max_age: int,
              content_type: str = "application/json") -> web.Response:
    etag = strong_etag(body)
    headers = {"ETag": etag, "Cache-Control": f"public, max-age={max_age}", "Vary": "Origin"}
    if etag_matches(request.headers.get("If-None-Match"), etag):
        return web.Response(status=304, headers=headers)
    return web.Response(body=body, headers=headers, content_type=content_type)
