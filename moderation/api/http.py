"""Small helpers every handler uses: parse a body or query into a model, answer JSON, find the site."""

from __future__ import annotations

from typing import Any, TypeVar

import orjson
from aiohttp import web
from pydantic import BaseModel, ValidationError

from moderation.app_keys import CONFIG, SITES
from moderation.errors import ApiError, not_found, validation_details
from moderation.sites import Site

M = TypeVar("M", bound=BaseModel)


def json_response(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(body=orjson.dumps(payload), status=status, headers=headers,
                        content_type="application/json")


async def parse_body(request: web.Request, model: type[M]) -> M:
    if request.content_type != "application/json":
        raise ApiError(415, "unsupported_media_type", "send the body as application/json")
    raw = await request.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(400, "invalid_utf8", "the request body is not valid UTF-8") from None
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
    for name in request.query.keys():
        raw[name] = request.query.getall(name) if name in lists else request.query[name]
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise ApiError(422, "validation_failed", "the query has invalid parameters",
                       validation_details(exc)) from None


async def find_site(request: web.Request) -> Site:
    site = await request.app[SITES].get(request.match_info["site"])
    if site is None:
        raise not_found("site")
    return site


def item_id(request: web.Request, name: str = "id") -> int:
    """Ids are opaque strings to clients; anything that is not one of ours is simply not found."""
    raw = request.match_info[name]
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18 or raw.startswith("0"):
        raise not_found("item")
    return int(raw)


def client_ip(request: web.Request) -> str:
    if request.app[CONFIG].trust_forwarded_for:
        forwarded = request.headers.get("X-Forwarded-For")
        if forwarded:
            return forwarded.split(",", 1)[0].strip()
    return request.remote or "unknown"
