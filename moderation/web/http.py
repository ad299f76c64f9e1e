"""Small helpers every handler uses: parse a body or query into a model, answer JSON, find the site."""

from __future__ import annotations

import asyncio
import re
from typing import Any, TypeVar

import orjson
from aiohttp import web
from pydantic import BaseModel, ValidationError

from moderation.errors import ApiError, not_found, validation_details
from moderation.sites.store import Site
from moderation.web import rate_limits
from moderation.web.keys import CLIENTS, CONFIG, POOL, SIGNER, SITES
from moderation.web.models import SLUG_PATTERN

M = TypeVar("M", bound=BaseModel)


def json_response(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(body=orjson.dumps(payload), status=status, headers=headers,
                        content_type="application/json")


def json_bytes_response(body: bytes) -> web.Response:
    """200 with a body already serialized (a page rendered once, then shared)."""
    return web.Response(body=body, content_type="application/json")


# A JSON string escape for U+0000 that is not itself an escaped backslash followed by "u0000".
NUL_ESCAPE = re.compile(r"(?<!\\)(?:\\\\)*\\u0000")


def json_depth_over(raw: bytes, limit: int) -> bool:
    """True when arrays and objects nest deeper than `limit` (brackets inside strings ignored).
    Cheap for ordinary bodies: they have fewer brackets than the limit and are not scanned."""
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return False
    depth, in_string, escaped = 0, False, False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > limit:
                return True
        elif byte in (0x5D, 0x7D):  # ] }
            depth -= 1
    return False


async def read_body(request: web.Request) -> bytes:
    """The whole body, within the configured time: a client trickling it in gets 408."""
    if request.content.is_eof():  # all of it has arrived (the usual small body): no timer needed
        return await request.read()
    try:
        async with asyncio.timeout(request.app[CONFIG].body_timeout_s):
            return await request.read()
    except TimeoutError:
        # aiohttp then lingers briefly for the rest of the body and closes the connection.
        raise ApiError(408, "request_timeout", "the request body arrived too slowly") from None


async def parse_body(request: web.Request, model: type[M]) -> M:
    # The header as the widget sends it needs no parsing (aiohttp parses it for every request).
    if request.headers.get("Content-Type") != "application/json" \
            and request.content_type != "application/json":
        raise ApiError(415, "unsupported_media_type", "send the body as application/json")
    raw = await read_body(request)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(400, "invalid_utf8", "the request body is not valid UTF-8") from None
    limit = request.app[CONFIG].max_json_depth
    if json_depth_over(raw, limit):
        raise ApiError(400, "json_too_deep", f"the JSON body nests deeper than {limit} levels")
    if "\\u0000" in text and NUL_ESCAPE.search(text):
        # PostgreSQL text cannot hold U+0000; no field of this API needs it.
        raise ApiError(422, "validation_failed", "the request has invalid fields",
                       [{"field": "", "type": "string_nul",
                         "message": "text may not contain the NUL character (\\u0000)"}])
    try:
        return model.model_validate_json(text)
    except ValidationError as exc:
        if any(err["type"] == "json_invalid" for err in exc.errors()):
            raise ApiError(400, "invalid_json", "the request body is not valid JSON") from None
        raise ApiError(422, "validation_failed", "the request has invalid fields",
                       validation_details(exc)) from None


def parse_query(request: web.Request, model: type[M], lists: tuple[str, ...] = ()) -> M:
    """Query parameters into a model; names in `lists` may repeat (?thread=a&thread=b)."""
    raw: dict[str, Any] = {}
    for name in request.query:
        raw[name] = request.query.getall(name) if name in lists else request.query[name]
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise ApiError(422, "validation_failed", "the query has invalid parameters",
                       validation_details(exc)) from None


# The sites table's CHECK (sql/0001): a key that cannot be a site is not looked up at all.
SITE_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,62}$"
SITE_KEY = re.compile(SITE_PATTERN)


def possible_site(site_id: str | None) -> bool:
    return site_id is not None and SITE_KEY.fullmatch(site_id) is not None


async def find_site(request: web.Request) -> Site:
    site_id = request.match_info["site"]
    site = await request.app[SITES].get(site_id) if possible_site(site_id) else None
    if site is None:
        raise not_found("site")
    return site


def item_id(request: web.Request, name: str = "id") -> int:
    """Ids are opaque strings to clients; anything that is not one of ours is simply not found."""
    raw = request.match_info[name]
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18 or raw.startswith("0"):
        raise not_found("item")
    return int(raw)


def bearer_token(request: web.Request) -> str | None:
    """The token of 'Authorization: Bearer <token>', None when absent or another scheme."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def client_address(request: web.Request) -> str:
    """The client as one person (moderation.web.addresses): past TRUSTED_PROXIES, IPv6 as /64."""
    return request.app[CLIENTS].client(request.remote, request.headers.getall("X-Forwarded-For", ()))


async def count_public_write(request: web.Request, site: Site, action: str) -> bytes:
    """Counts one public write (`action`: "rating", "report", "vote", "appeal") from the client
    against the site's rate limit for it, 429 past it; returns the client's address hash."""
    ip_hash = request.app[SIGNER].ip_hash(client_address(request))
    await rate_limits.hit(request.app[POOL], site.site_id, action,
                          site.settings.rate_limits.of(action), ip_hash)
    return ip_hash


SLUG = re.compile(SLUG_PATTERN)


def slug_param(request: web.Request, name: str) -> str:
    """A thread or author key from the path; a malformed one is a 422 naming the field."""
    value = request.match_info[name]
    if not SLUG.fullmatch(value):
        raise ApiError(422, "validation_failed", f"the {name} key is invalid",
                       [{"field": name, "type": "string_pattern_mismatch",
                         "message": "1-200 letters, digits, '.', '_', '~' or '-'"}])
    return value
