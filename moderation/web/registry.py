"""The endpoint registry: each handler declares its route, models and audience once.

The app factory adds routes from it, the auth and CORS middlewares read it, and /openapi.json is
generated from it, so the three can never disagree.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Literal

from aiohttp import web
from pydantic import BaseModel

Audience = Literal["public", "moderator", "admin", "meta"]


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    handler: Callable[..., Awaitable[web.StreamResponse]]
    summary: str
    audience: Audience
    request: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    responses: dict[int, type[BaseModel] | None] = field(default_factory=dict)
    errors: tuple[int, ...] = ()
    headers: tuple[str, ...] = ()
    content_type: str = "application/json"
    # Queues a rule job: refused with 503 while the site's queue is past QUEUE_MAX_AGE_S.
    enqueues: bool = False


ENDPOINTS: list[Endpoint] = []


def endpoint(method: str, path: str, summary: str, audience: Audience, *,
             request: type[BaseModel] | None = None, query: type[BaseModel] | None = None,
             responses: dict[int, type[BaseModel] | None] | None = None,
             errors: tuple[int, ...] = (), headers: tuple[str, ...] = (),
             content_type: str = "application/json", enqueues: bool = False):
    def register(handler):
        spec = Endpoint(method, path, handler, summary, audience, request, query,
                        responses or {200: None}, errors, headers, content_type, enqueues)
        handler.endpoint = spec
        ENDPOINTS.append(spec)
        return handler
    return register
