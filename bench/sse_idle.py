"""Idle live-thread subscribers: how many Server-Sent Event streams one API process holds, and
its memory. Run by bench/run.py (`--only sse`), or alone against a running server:

    .venv/bin/python bench/sse_idle.py http://127.0.0.1:8080 SITE THREAD [N]

Opens N streams of one thread (raw sockets from this process, so the client costs little), reads
each one's head, then publishes one event and times until every stream has it: the streams are
alive, not just open.
"""

from __future__ import annotations

import asyncio
import sys
import time
from urllib.parse import urlsplit

OPEN_AT_ONCE = 200  # connections being opened concurrently


async def open_stream(host: str, port: int, path: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept: text/event-stream\r\n\r\n".encode())
    head = await reader.readuntil(b"\r\n\r\n")
    if b" 200 " not in head.split(b"\r\n", 1)[0]:
        raise RuntimeError(f"stream refused: {head[:200]!r}")
    return reader, writer


async def open_streams(base_url: str, site: str, thread: str, n: int) -> list:
    parts = urlsplit(base_url)
    path = f"/v1/sites/{site}/threads/{thread}/events"
    gate = asyncio.Semaphore(OPEN_AT_ONCE)

    async def one():
        async with gate:
            return await open_stream(parts.hostname or "127.0.0.1", parts.port or 80, path)
    return await asyncio.gather(*(one() for _ in range(n)))


async def until_everyone_has(streams: list, marker: bytes, timeout_s: float = 60) -> float:
    """Seconds until every stream has received `marker` (call right after publishing)."""
    started = time.monotonic()

    async def wait(reader):
        seen = b""
        while marker not in seen:
            seen = seen[-len(marker):] + await reader.read(4096)
    async with asyncio.timeout(timeout_s):
        await asyncio.gather(*(wait(reader) for reader, _ in streams))
    return time.monotonic() - started


def close(streams: list) -> None:
    for _, writer in streams:
        writer.close()


async def main() -> None:
    base_url, site, thread = sys.argv[1:4]
    n = int(sys.argv[4]) if len(sys.argv) > 4 else 5000
    streams = await open_streams(base_url, site, thread, n)
    print(f"{len(streams)} streams open; publish an event to time the fan-out, Ctrl-C to end")
    try:
        await asyncio.sleep(3600)
    finally:
        close(streams)


if __name__ == "__main__":
    asyncio.run(main())
