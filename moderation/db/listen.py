"""A LISTEN connection that outlives database restarts: the one loop the job listener and the
live threads' hub share."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

log = logging.getLogger(__name__)

Listener = Callable[[Any, int, str, Any], None]


async def listen_forever(connect: Callable[[], Awaitable[Any]], channels: Mapping[str, Listener],
                         connected: asyncio.Event, name: str,
                         on_connected: Callable[[], None] = lambda: None) -> None:
    """Listens on `channels` until cancelled; reconnects with backoff (0.1 s doubling to 5 s) when
    the connection cannot be made or is lost. `connected` is set while listening;
    `on_connected` runs after each (re)connection, for what was NOTIFYed meanwhile."""
    lost = asyncio.Event()
    delay = 0.1
    while True:
        try:
            conn = await connect()
        except Exception as exc:  # down, starting up, or a broken handshake: retry, never die
            log.warning("%s cannot connect (%s); retrying in %.1fs", name, exc, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)
            continue
        delay = 0.1
        lost.clear()
        conn.add_termination_listener(lambda _conn: lost.set())
        try:
            for channel, callback in channels.items():
                await conn.add_listener(channel, callback)
            connected.set()
            on_connected()
            await lost.wait()
            log.warning("%s lost the database connection; reconnecting", name)
        except Exception as exc:
            log.warning("%s failed (%s); reconnecting", name, exc)
        finally:
            connected.clear()
            if not conn.is_closed():
                try:
                    await conn.close(timeout=1)
                except Exception:
                    conn.terminate()


async def wait_until_woken(wake: asyncio.Event, seconds: float) -> None:
    """Waits for `wake` or `seconds`, whichever comes first. Not `asyncio.wait_for`: on Python
    3.11 it loses a cancellation that arrives as the event is set, and a task cancelled at
    shutdown then waits on for ever."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await wake.wait()
