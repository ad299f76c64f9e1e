"""Auth for moderators and admins, and CORS for the public API limited to each site's origins."""

from __future__ import annotations

from aiohttp import web

from moderation.api.http import possible_site
from moderation.api.registry import Endpoint
from moderation.app_keys import POOL, SITES
from moderation.errors import DATABASE_DOWN, ApiError, error_response, not_found
from moderation.signing import token_site
from moderation.sites import find_token

CORS_METHODS = "GET, POST, PATCH, DELETE, OPTIONS"
CORS_HEADERS = "Content-Type, Idempotency-Key, X-Edit-Token, If-None-Match"
CORS_EXPOSE = "ETag, Retry-After, X-Request-Id"
UNSAFE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})

TOKEN = web.RequestKey("token", object)


def endpoint_of(request: web.Request) -> Endpoint | None:
    return getattr(request.match_info.handler, "endpoint", None)


@web.middleware
async def auth_middleware(request: web.Request, handler) -> web.StreamResponse:
    ep = endpoint_of(request)
    if ep is not None and ep.audience in ("moderator", "admin"):
        request[TOKEN] = await authenticate(request, ep.audience)
    return await handler(request)


async def authenticate(request: web.Request, needed: str):
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "unauthorized", "send a moderator token as 'Authorization: Bearer <token>'",
                       headers={"WWW-Authenticate": "Bearer"})
    token = token.strip()
    site_id = request.match_info.get("site")
    owner = token_site(token)
    found = await find_token(request.app[POOL], owner, token) if owner else None
    if found is None:
        raise ApiError(401, "unauthorized", "this token is unknown or revoked",
                       headers={"WWW-Authenticate": "Bearer"})
    if site_id is not None and found.site_id != site_id:
        raise not_found("site")  # another site's token learns nothing about this site
    if needed == "admin" and found.role != "admin":
        raise ApiError(403, "forbidden", "this needs an admin token")
    return found


async def _site_allowing(request: web.Request, origin: str):
    site_id = request.match_info.get("site")
    site = await request.app[SITES].get(site_id) if possible_site(site_id) else None
    return site if site is not None and site.allows_origin(origin) else None


@web.middleware
async def cors_middleware(request: web.Request, handler) -> web.StreamResponse:
    ep = endpoint_of(request)
    origin = request.headers.get("Origin")
    if ep is None or ep.audience != "public" or origin is None:
        return await handler(request)
    try:
        allowed = await _site_allowing(request, origin)
    except DATABASE_DOWN:
        return await handler(request)  # which answers 503 through the error middleware
    if allowed is None and request.method in UNSAFE_METHODS:
        return error_response(403, "origin_not_allowed", f"{origin} may not write to this site")
    # Outside the error middleware, so error answers carry CORS headers and the widget can read them.
    response = await handler(request)
    if allowed is not None:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Expose-Headers"] = CORS_EXPOSE
    response.headers["Vary"] = "Origin"
    return response


async def preflight(request: web.Request) -> web.Response:
    """Answers the browser's OPTIONS before a cross-origin call to a public endpoint."""
    origin = request.headers.get("Origin")
    if origin is None or await _site_allowing(request, origin) is None:
        return web.Response(status=204, headers={"Vary": "Origin"})
    return web.Response(status=204, headers={
        "Access-Control-Allow-Origin": origin, "Access-Control-Allow-Methods": CORS_METHODS,
        "Access-Control-Allow-Headers": CORS_HEADERS, "Access-Control-Max-Age": "600",
        "Vary": "Origin"})
