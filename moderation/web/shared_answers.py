"""Public answers shared for a second, in front of routing: the reads every article view makes.

A hot article's readers all ask for the same author rating and the same first page of comments.
A handler marks such an answer as shareable (`share_for(request, response, seconds)`); for that long,
`moderation serve` answers the same GET — same path and query, same Origin — from memory,
before routing and the middleware run, as a micro-caching proxy would. The answer can be that
much older, which moderation (seconds to hours) already is. Every answer still gets its own
request id, its metrics and log line, and a 304 when If-None-Match has its ETag.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from aiohttp import web
from multidict import CIMultiDict

from moderation.observability import REQUEST_ID_HEADER, Metrics, observe, request_id_for, route_of
from moderation.web.etags import etag_matches

SHARE_FOR = web.ResponseKey("share_for_s", float)  # seconds a response may be shared
ROUTE = web.ResponseKey("route", str)  # a shared answer's route label, for its replays' metrics
NOT_REPLAYED = frozenset({REQUEST_ID_HEADER.lower(), "content-length", "date", "server"})


def share_for(request: web.Request, response: web.Response, seconds: float) -> web.Response:
    """Marks a public answer that any reader of the same URL from the same Origin may get."""
    if seconds > 0:
        response[SHARE_FOR] = seconds
        response[ROUTE] = route_of(request)
    return response


@dataclass(frozen=True, slots=True)
class Shared:
    expires: float
    body: bytes
    headers: CIMultiDict
    etag: str | None
    route: str


ENTRY_OVERHEAD = 1024  # bytes an entry costs besides its key and body (objects, headers)


class FrontCache:
    """Shared answers by (path with query, Origin), bounded in entries and in bytes (keys,
    bodies and a per-entry overhead): when full, expired entries go first, then all of them."""

    def __init__(self, clock=time.monotonic, max_bytes: int = 64 * 1024 * 1024,
                 max_entries: int = 20_000) -> None:
        self._clock = clock
        self._max_bytes = max_bytes
        self._max_entries = max_entries
        self._bytes = 0
        self._entries: dict[tuple[str, str | None], Shared] = {}

    def wrap(self, handle, metrics: Metrics):
        """The request handler for aiohttp's Server: shared answers first, else the app."""

        async def front(request: web.BaseRequest) -> web.StreamResponse:
            if request.method != "GET":
                return await handle(request)
            key = (request.raw_path, request.headers.get("Origin"))
            shared = self._entries.get(key)
            if shared is not None and shared.expires > self._clock():
                return replay(request, shared, metrics)
            response = await handle(request)
            self._keep(key, response)
            return response

        return front

    def _keep(self, key: tuple[str, str | None], response: web.StreamResponse) -> None:
        seconds = response.get(SHARE_FOR)
        if (not seconds or response.status != 200 or not isinstance(response, web.Response)
                or not isinstance(response.body, bytes)):
            return
        if key[1] is not None and "Access-Control-Allow-Origin" not in response.headers:
            return  # an origin the site does not allow: not the widget, and any Origin is a new key
        replaced = self._entries.pop(key, None)  # an expired answer renewed, or two misses at once
        if replaced is not None:
            self._bytes -= entry_size(key, replaced.body)
        size = entry_size(key, response.body)
        if len(self._entries) >= self._max_entries or self._bytes + size > self._max_bytes:
            self._make_room()
        headers = CIMultiDict((k, v) for k, v in response.headers.items()
                              if k.lower() not in NOT_REPLAYED)
        self._entries[key] = Shared(self._clock() + seconds, response.body, headers,
                                    response.headers.get("ETag"), response[ROUTE])
        self._bytes += size

    def _make_room(self) -> None:
        """Drops the expired entries; if that is not enough (a flood of distinct URLs), all:
        it costs memory bounds, never correctness."""
        now = self._clock()
        self._entries = {k: v for k, v in self._entries.items() if v.expires > now}
        self._bytes = sum(entry_size(k, v.body) for k, v in self._entries.items())
        if len(self._entries) >= self._max_entries // 2 or self._bytes > self._max_bytes // 2:
            self._entries.clear()
            self._bytes = 0

    @property
    def size(self) -> tuple[int, int]:
        """(entries, bytes counted)"""
        return len(self._entries), self._bytes


def entry_size(key: tuple[str, str | None], body: bytes) -> int:
    return len(key[0]) + len(key[1] or "") + len(body) + ENTRY_OVERHEAD


def replay(request: web.BaseRequest, shared: Shared, metrics: Metrics) -> web.Response:
    started = time.perf_counter()
    request_id = request_id_for(request)
    if shared.etag is not None and etag_matches(request.headers.get("If-None-Match"), shared.etag):
        response = web.Response(status=304, headers=shared.headers)
        response.headers.pop("Content-Type", None)
    else:
        response = web.Response(body=shared.body, headers=shared.headers)
    response.headers[REQUEST_ID_HEADER] = request_id
    observe(metrics, request, request_id, response.status, started, shared.route)
    return response


FRONT_CACHE = web.AppKey("front_cache", FrontCache)
