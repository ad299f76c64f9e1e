"""The HTTP server around the app, with request limits aiohttp does not give on its own.

`create_app` passes `server_options` to aiohttp (request line, header size and count, keep-alive),
so every runner applies them. `serve` adds, through LimitedAppRunner, a deadline for a request's
head (slow clients are cut off) and JSON answers for errors found while parsing HTTP.
"""

from __future__ import annotations

import asyncio
import gc
import signal

from aiohttp import web
from aiohttp.web_protocol import RequestHandler

from moderation.config import Config
from moderation.errors import protocol_error_response
from moderation.observability import METRICS
from moderation.web.keys import CONFIG
from moderation.web.shared_answers import FRONT_CACHE

LINGERING_S = 2.0
HEAD_TIMEOUT_BODY = (b'{"error":{"code":"request_timeout",'
                     b'"message":"the request headers arrived too slowly","details":[]}}')
HEAD_TIMEOUT_RESPONSE = (b"HTTP/1.1 408 Request Timeout\r\nContent-Type: application/json\r\n"
                         b"Content-Length: %d\r\nConnection: close\r\n\r\n%s"
                         % (len(HEAD_TIMEOUT_BODY), HEAD_TIMEOUT_BODY))


def server_options(config: Config) -> dict:
    """aiohttp's own limits on the request head and idle connections (Application handler_args)."""
    return {"max_line_size": config.max_line_bytes, "max_field_size": config.max_header_bytes,
            "max_headers": config.max_headers, "keepalive_timeout": config.keepalive_timeout_s,
            # After an answer to a request whose body was not read (413, 408), aiohttp reads and
            # drops the rest for this long so the client sees the answer (default 10 s): a slow
            # client is let go soon.
            "lingering_time": LINGERING_S}


class LimitedRequestHandler(RequestHandler):
    """aiohttp's connection handler with two additions: errors found while parsing a request
    (a header too long, broken HTTP) answer the JSON envelope instead of text, and a client must
    deliver each request's line and headers within `head_timeout` (a slowloris is cut off)."""

    __slots__ = ("_head_timeout", "_head_timer", "_line_limits")

    def __init__(self, manager: web.Server, *, head_timeout: float, **kwargs) -> None:
        super().__init__(manager, **kwargs)
        self._head_timeout = head_timeout
        self._head_timer: asyncio.TimerHandle | None = None
        self._line_limits = (kwargs.get("max_line_size", 8190), kwargs.get("max_field_size", 8190))

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        self._arm_head_timer()

    def connection_lost(self, exc: BaseException | None) -> None:
        self._cancel_head_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        parsed = self._request_count
        super().data_received(data)
        if self._request_count != parsed:
            self._cancel_head_timer()  # a whole head arrived
        elif self._head_timer is None and self._between_requests():
            self._arm_head_timer()  # the first bytes of the next request on a kept-alive connection

    def _between_requests(self) -> bool:
        return not self._request_in_progress and not self._messages

    def _arm_head_timer(self) -> None:
        self._head_timer = self._loop.call_later(self._head_timeout, self._head_timed_out)

    def _cancel_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self.transport is None or not self._between_requests():
            return  # a request is being handled; reading its body has a deadline of its own
        self.transport.write(HEAD_TIMEOUT_RESPONSE)
        self.force_close()

    def handle_error(self, request, status: int = 500, exc: BaseException | None = None,
                     message: str | None = None) -> web.StreamResponse:
        super().handle_error(request, status, exc, message)  # logs; refuses if a response began
        response = protocol_error_response(status, exc, *self._line_limits)
        response.force_close()
        return response


class LimitedServer(web.Server):
    """A web.Server whose connections are LimitedRequestHandlers."""

    def __init__(self, *args, head_timeout: float, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.head_timeout = head_timeout

    def __call__(self) -> RequestHandler:
        return LimitedRequestHandler(self, loop=self._loop, head_timeout=self.head_timeout,
                                     **self._kwargs)


class LimitedAppRunner(web.AppRunner):
    """An AppRunner serving through LimitedServer, shared answers first (moderation.web.shared_answers);
    used by `serve` and the tests of both."""

    async def _make_server(self) -> web.Server:
        server = await super()._make_server()
        handler = self._app[FRONT_CACHE].wrap(server.request_handler, self._app[METRICS])
        return LimitedServer(handler, request_factory=server.request_factory,
                             handler_cancellation=server.handler_cancellation, loop=server._loop,
                             head_timeout=self._app[CONFIG].header_timeout_s, **server._kwargs)


async def serve(app: web.Application, host: str, port: int, shutdown_timeout: float = 10) -> None:
    """Like web.run_app: serves until SIGINT or SIGTERM, then shuts down gracefully (stops
    listening, lets requests in flight finish within `shutdown_timeout`, runs the app's cleanup)
    with every other task still running, unlike a cancellation would."""
    runner = LimitedAppRunner(app, access_log=None, shutdown_timeout=shutdown_timeout)
    await runner.setup()
    # What start-up loaded lives as long as the process: keep full garbage collections from
    # walking it again and again while requests wait (as the workers' warm-up does).
    gc.freeze()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await web.TCPSite(runner, host, port).start()
        await stop.wait()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        await runner.cleanup()
