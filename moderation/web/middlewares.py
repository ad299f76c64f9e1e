"""The one middleware: request ids and metrics, CORS for the public API limited to each site's
origins, auth for moderators and admins, and errors as the JSON envelope."""

from __future__ import annotations

import time

from aiohttp import web

from moderation.errors import DATABASE_DOWN, ApiError, error_answer, error_response, not_found
from moderation.identity.signing import token_site
from moderation.observability import METRICS, REQUEST_ID_HEADER, observe, request_id_for, route_of
from moderation.queue.backpressure import QUEUE_AGES
from moderation.sites.store import find_token
from moderation.web.http import bearer_token, possible_site
from moderation.web.keys import POOL, SITES
from moderation.web.registry import Endpoint

CORS_METHODS = "GET, POST, PATCH, DELETE, OPTIONS"
CORS_HEADERS = "Content-Type, Idempotency-Key, X-Edit-Token, If-None-Match"
CORS_EXPOSE = "ETag, Retry-After, X-Request-Id"
UNSAFE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})
PROTECTED = frozenset({"moderator", "admin"})

TOKEN = web.RequestKey("token", object)


def endpoint_of(request: web.Request) -> Endpoint | None:
    return getattr(request.match_info.handler, "endpoint", None)


async def authenticate(request: web.Request, needed: str):
    token = bearer_token(request)
    if token is None:
        raise ApiError(401, "unauthorized", "send a moderator token as 'Authorization: Bearer <token>'",
                       headers={"WWW-Authenticate": "Bearer"})
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
    found = site_id is not None and possible_site(site_id)
    site = await request.app[SITES].get(site_id) if found and site_id else None
    return site if site is not None and site.allows_origin(origin) else None


@web.middleware
async def api_middleware(request: web.Request, handler) -> web.StreamResponse:
    """Every request passes this one layer (each extra middleware costs every request a call):
    a request id echoed in X-Request-Id, metrics and a log line; CORS for the public API limited
    to the site's origins; moderator and admin auth; and every failure as the JSON envelope."""
    started = time.perf_counter()
    request_id = request_id_for(request)
    ep = endpoint_of(request)
    origin = request.headers.get("Origin") if ep is not None and ep.audience == "public" else None
    status = 500
    try:
        response = await answer(request, handler, ep, origin)
        status = response.status
        response.headers[REQUEST_ID_HEADER] = request_id
        return response
    except web.HTTPException as exc:  # below 400 (redirects): aiohttp sends them
        status = exc.status
        exc.headers[REQUEST_ID_HEADER] = request_id
        raise
    finally:
        observe(request.app[METRICS], request, request_id, status, started, route_of(request))


async def answer(request: web.Request, handler, ep: Endpoint | None,
                 origin: str | None) -> web.StreamResponse:
    allowed = False
    if origin is not None:
        try:
            # `Origin: null` (a sandboxed frame, a file, a redirect) is no site's: it never writes.
            allowed = origin != "null" and await _site_allowing(request, origin) is not None
            refused = not allowed and request.method in UNSAFE_METHODS
        except DATABASE_DOWN:
            refused = False  # unknown, not refused: the handler answers 503 with Retry-After
        if refused:
            return with_cors(error_response(403, "origin_not_allowed",
                                            f"{origin} may not write to this site"), None)
    try:
        if ep is not None and ep.audience in PROTECTED:
            request[TOKEN] = await authenticate(request, ep.audience)
        if ep is not None and ep.enqueues and QUEUE_AGES in request.app:
            refusal = request.app[QUEUE_AGES].refusal(request.match_info.get("site"))
            if refusal is not None:
                raise refusal
        response = await handler(request)
    except Exception as exc:
        response = error_answer(request, exc)
        if response is None:
            raise
    # Error answers carry CORS headers too, so the widget can read them.
    return response if origin is None else with_cors(response, origin if allowed else None)


def with_cors(response: web.StreamResponse, allowed_origin: str | None) -> web.StreamResponse:
    if allowed_origin is not None:
        response.headers["Access-Control-Allow-Origin"] = allowed_origin
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
