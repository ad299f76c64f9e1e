"""Request limits: body size, header size and count, request line, JSON nesting, NUL characters,
and slow clients. The app runs the way `moderation serve` runs it (LimitedAppRunner), and the
slow-client tests speak raw HTTP over a socket."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from aiohttp import web

from moderation.app import create_app
from moderation.config import Config
from moderation.web.http import json_depth_over
from moderation.web.keys import POOL
from moderation.web.server import LINGERING_S, LimitedAppRunner
from tests.conftest import make_config
from tests.factories import comment_body, make_token


@pytest.fixture
async def serve(database_url):
    """Starts the app behind LimitedAppRunner on a free local port; returns (host, port)."""
    runners: list[web.AppRunner] = []

    async def start(**config) -> tuple[str, int]:
        app = create_app(make_config(workers=0, **config), database_url=database_url)
        runner = LimitedAppRunner(app, access_log=None, shutdown_timeout=1)
        await runner.setup()
        runners.append(runner)
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        host, port = runner.addresses[0][:2]
        return host, port

    yield start
    for runner in runners:
        await runner.cleanup()


async def exchange(address: tuple[str, int], *parts: bytes, pause: float = 0.0,
                   timeout: float = 10.0) -> tuple[int | None, dict[str, str], bytes, float]:
    """Sends `parts` (sleeping `pause` between them), then reads until the server closes.
    Returns status, headers, body and the seconds until the connection closed."""
    started = time.monotonic()
    reader, writer = await asyncio.open_connection(*address)
    raw = b""
    try:
        for i, part in enumerate(parts):
            if i and pause:
                try:  # wait, but stop sending as soon as the server answers
                    raw = await asyncio.wait_for(reader.read(65536), pause)
                except asyncio.TimeoutError:
                    pass
                if raw:
                    break
            writer.write(part)
            await writer.drain()
        raw += await asyncio.wait_for(reader.read(-1), timeout)
    except ConnectionError:
        pass
    finally:
        writer.close()
    elapsed = time.monotonic() - started
    if not raw:
        return None, {}, b"", elapsed
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), {k.lower(): v for k, v in headers.items()}, body, elapsed


def envelope(body: bytes, code: str) -> dict:
    payload = json.loads(body)
    assert set(payload) == {"error"}
    assert payload["error"]["code"] == code
    assert payload["error"]["message"]
    return payload


def post(path: str, body: bytes, extra: bytes = b"") -> bytes:
    return (f"POST {path} HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n").encode() + extra + b"\r\n" + body


def get(path: str, extra: bytes = b"") -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n".encode() + extra + b"\r\n"


def test_limits_are_configuration_with_defaults():
    config = Config(secret_key="x" * 16)
    assert config.max_body_bytes == 64 * 1024
    assert config.max_json_depth == 32
    assert config.max_line_bytes == 24 * 1024
    assert config.max_header_bytes == 8190
    assert config.max_headers == 100
    assert config.header_timeout_s == 10
    assert config.body_timeout_s == 15
    assert config.keepalive_timeout_s == 75
    for name in ("max_json_depth", "max_line_bytes", "max_header_bytes", "max_headers",
                 "header_timeout_s", "body_timeout_s", "keepalive_timeout_s"):
        assert Config.model_fields[name].description


# --- body size --------------------------------------------------------------------------------

async def test_body_over_limit_is_413_json(serve, site):
    address = await serve(max_body_bytes=2048)
    body = json.dumps(comment_body("x" * 5000)).encode()
    status, headers, answer, _ = await exchange(address, post(f"/v1/sites/{site}/threads/t/comments", body))
    assert status == 413
    assert headers["content-type"].startswith("application/json")
    envelope(answer, "body_too_large")


# --- header size and count, request line -----------------------------------------------------

async def test_header_over_limit_is_431_json(serve):
    address = await serve(max_header_bytes=2048)
    status, headers, body, _ = await exchange(address, get("/healthz", b"X-Big: " + b"a" * 4000 + b"\r\n"))
    assert status == 431
    assert headers["content-type"].startswith("application/json")
    envelope(body, "headers_too_large")


async def test_too_many_headers_is_431_json(serve):
    address = await serve(max_headers=20)
    many = b"".join(b"X-H%d: v\r\n" % i for i in range(40))
    status, _, body, _ = await exchange(address, get("/healthz", many))
    assert status == 431
    envelope(body, "headers_too_large")


async def test_request_line_over_limit_is_414_json(serve):
    address = await serve(max_line_bytes=2048)
    status, _, body, _ = await exchange(address, get("/healthz?x=" + "a" * 4000))
    assert status == 414
    envelope(body, "uri_too_long")


async def test_default_request_line_fits_a_hundred_longest_thread_keys(serve, site):
    address = await serve()
    query = "&".join(f"thread={i:03d}" + "t" * 197 for i in range(100))
    status, _, body, _ = await exchange(address, get(f"/v1/sites/{site}/counts?{query}"))
    assert status == 200, body
    assert len(json.loads(body)["counts"]) == 100


async def test_broken_http_is_400_json(serve):
    address = await serve()
    status, headers, body, _ = await exchange(address, b"GET /healthz HTTP/1.1\r\nBad Header\r\n\r\n")
    assert status == 400
    assert headers["content-type"].startswith("application/json")
    envelope(body, "bad_request")


# --- JSON nesting and text PostgreSQL cannot store --------------------------------------------

@pytest.mark.parametrize("raw, limit, over", [
    (b'{"a": [1, 2, {"b": 3}]}', 3, False),
    (b'{"a": [1, 2, {"b": 3}]}', 2, True),
    (b'{"a": "[[[[[[[[[[[{{{{{{{{"}', 2, False),          # brackets in strings do not count
    (b'{"a": "\\"[[[[[[[[[[[[", "b": [[[]]]}', 4, False),  # nor after an escaped quote
    (b'[' * 100_000, 32, True),
    (b'[' * 10 + b']' * 10 + b'[' * 10 + b']' * 10, 10, False),
])
def test_json_depth(raw, limit, over):
    assert json_depth_over(raw, limit) is over


async def test_deeply_nested_json_is_400_not_500(client, site, pool):
    for payload in (b"[" * 60_000, b'{"body": "x", "commenter": ' + b'{"a": ' * 5000 + b"1" + b"}" * 5001):
        response = await client.post(f"/v1/sites/{site}/threads/t/comments", data=payload,
                                     headers={"Content-Type": "application/json"})
        assert response.status == 400
        body = await response.json()
        assert body["error"]["code"] == "json_too_deep"
    assert await pool.fetchval("SELECT count(*) FROM comments WHERE site_id = $1", site) == 0


async def test_nesting_deeper_than_the_limit_is_refused_where_any_json_is_allowed(make_client, site, pool):
    client = await make_client(max_json_depth=8)
    token = await make_token(pool, site)
    auth = {"Authorization": f"Bearer {token}"}
    settings = await (await client.get(f"/v1/sites/{site}/settings", headers=auth)).json()
    deep: object = 1
    for _ in range(12):
        deep = [deep]
    settings["rules"] = {"links": {"max_links": deep}}
    response = await client.put(f"/v1/sites/{site}/settings", json=settings, headers=auth)
    assert response.status == 400
    assert (await response.json())["error"]["code"] == "json_too_deep"


async def test_brackets_inside_comment_text_are_not_nesting(client, site):
    text = "[" * 200 + " a comment about brackets " + "}" * 200
    response = await client.post(f"/v1/sites/{site}/threads/t/comments", json=comment_body(text))
    assert response.status == 202, await response.text()


async def test_nul_character_in_a_body_is_422_not_500(client, site, pool):
    response = await client.post(f"/v1/sites/{site}/threads/t/comments",
                                 json=comment_body("before\x00after"))
    assert response.status == 422
    body = await response.json()
    assert body["error"]["code"] == "validation_failed"
    assert body["error"]["details"][0]["type"] == "string_nul"
    assert await pool.fetchval("SELECT count(*) FROM comments WHERE site_id = $1", site) == 0
    # An escaped backslash followed by "u0000" is ordinary text.
    response = await client.post(f"/v1/sites/{site}/threads/t/comments",
                                 json=comment_body("a path like C:\\u0000 is fine"))
    assert response.status == 202


@pytest.mark.parametrize(("path", "status", "code"), [
    ("/v1/sites/%00/counts?thread=a", 404, "not_found"),  # no site has such a name
    ("/v1/sites/{site}/counts?thread=%00", 422, "validation_failed"),
    ("/v1/sites/{site}/authors/a%00b/rating", 422, "validation_failed")])
async def test_nul_character_in_a_key_is_4xx_json(client, site, path, status, code):
    for headers in ({}, {"Origin": "https://news.example"}):  # CORS looks the site up first
        response = await client.get(path.format(site=site), headers=headers)
        assert response.status == status
        assert (await response.json())["error"]["code"] == code


# --- slow clients -----------------------------------------------------------------------------

async def test_slow_headers_are_cut_off_with_408(serve):
    address = await serve(header_timeout_s=0.5)
    status, headers, body, elapsed = await exchange(
        address, b"GET /healthz HTTP/1.1\r\n", b"Host: test\r\n", b"X-Slow: 1\r\n",
        b"X-Slow: 2\r\n", b"\r\n", pause=0.3)
    assert status == 408
    envelope(body, "request_timeout")
    assert elapsed < 1.5


async def test_a_connection_that_sends_nothing_is_closed(serve):
    address = await serve(header_timeout_s=0.3)
    reader, writer = await asyncio.open_connection(*address)
    started = time.monotonic()
    data = await asyncio.wait_for(reader.read(-1), 5)
    writer.close()
    assert data.startswith(b"HTTP/1.1 408")
    assert time.monotonic() - started < 2


async def test_slow_body_gets_408(serve, site, pool):
    address = await serve(body_timeout_s=0.5, header_timeout_s=5)
    body = json.dumps(comment_body("a slow one")).encode()
    head = post(f"/v1/sites/{site}/threads/t/comments", body)[:-len(body)]
    status, _, answer, elapsed = await exchange(address, head + body[:10], pause=0, timeout=15)
    assert status == 408
    envelope(answer, "request_timeout")
    assert elapsed < 0.5 + LINGERING_S + 1
    assert await pool.fetchval("SELECT count(*) FROM comments WHERE site_id = $1", site) == 0


async def test_a_body_sent_in_pieces_within_the_limits_is_accepted(serve, site):
    """The head deadline must not cut off a body that takes longer than it to arrive."""
    address = await serve(header_timeout_s=0.3, body_timeout_s=5)
    body = json.dumps(comment_body("sent in pieces")).encode()
    head = post(f"/v1/sites/{site}/threads/t/comments", body)[:-len(body)]
    third = len(body) // 3
    status, _, answer, _ = await exchange(address, head, body[:third], body[third:2 * third],
                                          body[2 * third:], pause=0.25)
    assert status == 202, answer


async def test_keep_alive_serves_several_requests_then_closes_when_idle(serve):
    address = await serve(keepalive_timeout_s=0.5, header_timeout_s=5)
    reader, writer = await asyncio.open_connection(*address)
    request = b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n"
    for _ in range(3):
        writer.write(request)
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        assert head.startswith(b"HTTP/1.1 200")
        length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                          if line.lower().startswith(b"content-length")))
        await reader.readexactly(length)
        await asyncio.sleep(0.2)  # shorter than both timeouts
    started = time.monotonic()
    assert await asyncio.wait_for(reader.read(-1), 5) == b""
    assert time.monotonic() - started < 2
    writer.close()


async def test_a_request_waits_db_timeout_s_for_a_connection_then_gets_503(make_client, site):
    """The pool's acquire has a timeout: under pressure requests get 503, never queue forever."""
    client = await make_client(workers=0, pool_min_size=1, pool_max_size=1, db_timeout_s=0.3)
    async with client.app[POOL].acquire():  # every connection of the pool is busy
        async with asyncio.timeout(5):
            response = await client.get(f"/v1/sites/{site}/threads/t/comments")
    assert response.status == 503
    assert (await response.json())["error"]["code"] == "database_unavailable"
    assert response.headers["Retry-After"]
    assert (await client.get(f"/v1/sites/{site}/threads/t/comments")).status == 200
