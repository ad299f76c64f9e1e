"""The JSON error envelope, and what turns every failure into it."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import asyncpg
import orjson
from aiohttp import web
from aiohttp.http_exceptions import BadHttpMessage, LineTooLong
from pydantic import ValidationError

log = logging.getLogger(__name__)


class ApiError(Exception):
    """A failure the client should see: status, snake_case code, human message, details."""

    def __init__(self, status: int, code: str, message: str, details: list[Any] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details or []
        self.headers = headers or {}


def not_found(what: str) -> ApiError:
    return ApiError(404, "not_found", f"{what} not found")


def error_response(status: int, code: str, message: str, details: list[Any] | None = None,
                   headers: dict[str, str] | None = None) -> web.Response:
    body = {"error": {"code": code, "message": message, "details": details or []}}
    return web.Response(status=status, body=orjson.dumps(body), content_type="application/json",
                        headers=headers)


def validation_details(exc: ValidationError) -> list[dict[str, Any]]:
    return [{"field": ".".join(str(p) for p in err["loc"]), "message": err["msg"], "type": err["type"]}
            for err in exc.errors(include_url=False, include_context=False, include_input=False)]


HTTP_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 406: "not_acceptable", 409: "conflict", 411: "length_required",
    408: "request_timeout", 413: "body_too_large", 414: "uri_too_long",
    415: "unsupported_media_type", 429: "too_many_requests", 431: "headers_too_large",
}

# Errors that mean "the database is not there right now": answer 503 and let the client retry.
DATABASE_DOWN = (asyncpg.PostgresConnectionError, asyncpg.CannotConnectNowError,
                 asyncpg.ConnectionDoesNotExistError, asyncpg.InterfaceError,
                 asyncpg.exceptions.AdminShutdownError, asyncpg.exceptions.CrashShutdownError,
                 asyncpg.exceptions.TooManyConnectionsError, ConnectionError, OSError,
                 asyncio.TimeoutError,
                 # A pooled connection the server dropped mid-shutdown can be caught between
                 # protocol states ("cannot switch to state 12"): still the database going away.
                 asyncpg.InternalClientError)


def protocol_error_response(status: int, exc: BaseException | None,
                            max_line_size: int, max_field_size: int) -> web.Response:
    """The envelope for what aiohttp finds before any handler runs: a request line or header
    over the limits (414/431), too many headers (431), broken HTTP (400), or a failure outside
    the error middleware (500)."""
    if isinstance(exc, LineTooLong):
        limit = exc.args[1] if len(exc.args) > 1 else None
        if limit == max_line_size != max_field_size:  # the request line's own limit
            return error_response(414, "uri_too_long", f"the request line is over {limit} bytes")
        return error_response(431, "headers_too_large", f"a request header is over {limit} bytes")
    if isinstance(exc, BadHttpMessage) and "too many headers" in str(exc).lower():
        return error_response(431, "headers_too_large", "the request has too many headers")
    if 400 <= status < 500:
        return error_response(status, HTTP_CODES.get(status, "bad_request"),
                              "the request is not valid HTTP")
    if status == 504:
        return error_response(504, "timeout", "the request took too long")
    return error_response(500, "internal_error", "something went wrong on our side")


# Text PostgreSQL cannot store (U+0000); parse_body refuses it in bodies, this catches the rest.
UNSTORABLE_TEXT = (asyncpg.exceptions.CharacterNotInRepertoireError,
                   asyncpg.exceptions.UntranslatableCharacterError)


def error_answer(request: web.Request, exc: Exception) -> web.Response | None:
    """The JSON envelope for a failure inside a handler; None for HTTP exceptions below 400
    (redirects), which propagate."""
    if isinstance(exc, ApiError):
        return error_response(exc.status, exc.code, exc.message, exc.details, exc.headers)
    if isinstance(exc, ValidationError):
        return error_response(422, "validation_failed", "the request has invalid fields",
                              validation_details(exc))
    if isinstance(exc, web.HTTPException):
        if exc.status < 400:
            return None
        code = HTTP_CODES.get(exc.status, "http_error")
        message = {404: "no such endpoint", 405: f"{request.method} is not allowed here",
                   413: "the request body is too large"}.get(exc.status, exc.reason)
        headers = {k: v for k, v in exc.headers.items() if k.lower() == "allow"}
        return error_response(exc.status, code, message, headers=headers)
    if isinstance(exc, UNSTORABLE_TEXT):
        return error_response(400, "invalid_text",
                              "the request contains characters that cannot be stored (such as NUL)")
    if isinstance(exc, DATABASE_DOWN):
        log.warning("database unavailable for %s %s", request.method, request.path, exc_info=exc)
        return error_response(503, "database_unavailable",
                              "the database is unavailable; try again shortly",
                              headers={"Retry-After": "2"})
    log.error("unhandled error for %s %s", request.method, request.path, exc_info=exc)
    return error_response(500, "internal_error", "something went wrong on our side")
