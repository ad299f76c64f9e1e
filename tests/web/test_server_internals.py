"""What moderation/web/server.py takes from aiohttp's private internals is still there.

LimitedRequestHandler subclasses aiohttp's RequestHandler and reads its private state; a release
that renames or drops any of it would break the head deadline or the JSON protocol errors without
an import error. pyproject.toml pins aiohttp to the minor version server.py was written against;
these tests say loudly, naming server.py, what moved when that pin is raised.
"""

from __future__ import annotations

import inspect
import re
import tomllib
from pathlib import Path

import aiohttp
from aiohttp import web
from aiohttp.web_protocol import RequestHandler

ROOT = Path(__file__).resolve().parents[2]

# What server.py reads or calls on each aiohttp object, beyond the public API.
HANDLER_INTERNALS = ("_request_count", "_messages", "_request_in_progress", "_loop", "transport",
                     "force_close", "connection_made", "connection_lost", "data_received",
                     "handle_error")
HANDLER_OPTIONS = ("max_line_size", "max_field_size", "max_headers", "keepalive_timeout",
                   "lingering_time")
SERVER_INTERNALS = ("_kwargs", "_loop", "request_handler", "request_factory", "handler_cancellation")


def moved(what: str, names) -> str:
    return (f"moderation/web/server.py uses aiohttp's private {what} {sorted(names)}, which "
            f"aiohttp {aiohttp.__version__} does not have: rewrite LimitedRequestHandler / "
            f"LimitedServer / LimitedAppRunner in server.py for this aiohttp before raising the "
            f"aiohttp pin in pyproject.toml")


async def handler() -> tuple[web.Server, RequestHandler]:
    async def answer(request):
        return web.Response()

    server = web.Server(answer, max_line_size=100)
    return server, RequestHandler(server, loop=server._loop, **server._kwargs)


async def test_request_handler_still_has_the_private_state_server_py_reads():
    server, protocol = await handler()
    missing = [name for name in HANDLER_INTERNALS if not hasattr(protocol, name)]
    assert not missing, moved("RequestHandler attributes", missing)
    assert protocol._request_count == 0 and not protocol._request_in_progress, moved(
        "RequestHandler state (a fresh handler has handled no request)", ["_request_count"])
    assert len(protocol._messages) == 0, moved("RequestHandler queue", ["_messages"])
    missing = [name for name in SERVER_INTERNALS if not hasattr(server, name)]
    assert not missing, moved("web.Server attributes", missing)
    assert server._kwargs == {"max_line_size": 100}, moved("web.Server keyword store", ["_kwargs"])


def test_the_hooks_server_py_overrides_keep_their_signatures():
    options = inspect.signature(RequestHandler.__init__).parameters
    missing = [name for name in HANDLER_OPTIONS if name not in options]
    assert not missing, moved("RequestHandler options", missing)
    assert list(inspect.signature(RequestHandler.handle_error).parameters) == [
        "self", "request", "status", "exc", "message"], moved("RequestHandler hook", ["handle_error"])
    assert callable(getattr(web.AppRunner, "_make_server", None)), moved(
        "AppRunner hook", ["_make_server"])


def test_the_installed_aiohttp_is_the_minor_version_pyproject_pins():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    pin = next(d for d in pyproject["project"]["dependencies"] if d.startswith("aiohttp"))
    low, high = re.fullmatch(r"aiohttp>=(\d+\.\d+),<(\d+\.\d+)", pin).groups()
    minor = ".".join(aiohttp.__version__.split(".")[:2])
    assert minor == low and int(high.split(".")[1]) == int(low.split(".")[1]) + 1, (
        f"aiohttp {aiohttp.__version__} is installed but pyproject.toml pins {pin!r}: the pin "
        f"names the one minor version moderation/web/server.py was written against")
