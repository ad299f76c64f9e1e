"""One LISTEN connection per API process, and the subscribers of each thread it serves.

Thread events are written and NOTIFYed by the database (sql/0013, publish_thread_events) when the
statement that changes comments commits, so every process hears every event whichever process or
worker made it, and passes it to its own subscribers of that thread. Each subscriber has a
bounded buffer of encoded events: one that falls that far behind (a client that never reads,
whose socket no longer drains) is dropped, so it never holds more memory than its buffer.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable

import orjson

from moderation.db.listen import listen_forever

log = logging.getLogger(__name__)

CHANNEL = "moderation_thread_events"
QUEUE_CHANNEL = "moderation_queue_events"
QUEUE = ""  # the key of a site's moderators' streams, beside its threads' (never a thread slug)
# Per subscriber; past it the subscriber is dropped. A burst (a moderator approving 500 comments
# of one thread at once) arrives in one turn of the event loop, before any stream has written a
# byte, so a reader that keeps up must never meet the bound. Queued events are shared bytes: a
# full buffer holds references only, about 64 KB.
BUFFER_EVENTS = 1000

# Resuming after a drop (Last-Event-ID): the events after it, at most this many; older clients
# reload the page instead.
SELECT_SINCE = """
SELECT event_id, type, data FROM thread_events
 WHERE site_id = $1 AND thread = ANY($2::text[]) AND event_id > $3
 ORDER BY event_id LIMIT $4"""
REPLAY_LIMIT = 500

Key = tuple[str, str]  # (site, thread), or (site, '@' + author) for an author's rating


def author_key(author: str) -> str:
    return "@" + author


def encode(event_id: int, event_type: str, data: object) -> bytes:
    """One Server-Sent Event: its id (for Last-Event-ID), its type and its JSON data."""
    return b"id: %d\nevent: %s\ndata: %s\n\n" % (event_id, event_type.encode(), orjson.dumps(data))


class Subscriber:
    """One open stream: its buffer, and what to do when it overflows (end the stream)."""

    __slots__ = ("keys", "address", "queue", "on_overflow", "dropped")

    def __init__(self, keys: tuple[Key, ...], on_overflow: Callable[[], None],
                 address: bytes = b"") -> None:
        self.keys = keys
        self.address = address
        self.queue: asyncio.Queue[tuple[int, bytes]] = asyncio.Queue(BUFFER_EVENTS)
        self.on_overflow = on_overflow
        self.dropped = False

    def offer(self, event_id: int, encoded: bytes) -> None:
        if self.dropped:
            return
        try:
            self.queue.put_nowait((event_id, encoded))
        except asyncio.QueueFull:
            self.dropped = True
            self.on_overflow()


class ThreadEvents:
    """The process's subscribers by thread, fed by its LISTEN connection (`run`)."""

    def __init__(self, connect, count_waiting=None) -> None:
        self.connect = connect  # () -> a new asyncpg connection
        self.count_waiting = count_waiting  # (site) -> held items per kind, for moderators
        self.subscribers: dict[Key, set[Subscriber]] = defaultdict(set)
        self.per_address: dict[bytes, int] = defaultdict(int)  # open streams by client address
        self._recounting: set[str] = set()
        self._recount_again: set[str] = set()
        self._serial = 0  # ids of waiting-count events, increasing within this process
        self.connected = asyncio.Event()
        self.dropped = 0  # subscribers dropped for not reading, for /metrics

    def count(self) -> int:
        return len({id(s) for group in self.subscribers.values() for s in group})

    def subscribe(self, keys: tuple[Key, ...], on_overflow: Callable[[], None],
                  address: bytes = b"") -> Subscriber:
        subscriber = Subscriber(keys, on_overflow, address)
        self.per_address[address] += 1
        for key in keys:
            self.subscribers[key].add(subscriber)
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        self.per_address[subscriber.address] -= 1
        if not self.per_address[subscriber.address]:
            del self.per_address[subscriber.address]
        for key in subscriber.keys:
            group = self.subscribers.get(key)
            if group is not None:
                group.discard(subscriber)
                if not group:
                    del self.subscribers[key]
        if subscriber.dropped:
            self.dropped += 1

    def close_all(self) -> None:
        """Ends every stream (the server is shutting down: clients resume elsewhere)."""
        for subscriber in {s for group in self.subscribers.values() for s in group}:
            subscriber.on_overflow()

    def on_notify(self, _conn: object, _pid: int, _channel: str, payload: str) -> None:
        try:
            events = orjson.loads(payload)
        except orjson.JSONDecodeError:
            log.warning("a thread event that is not JSON: %.200s", payload)
            return
        for event in events:
            group = self.subscribers.get((event["site"], event["thread"]))
            if not group:
                continue
            encoded = encode(event["id"], event["type"], event["data"])  # once for all of them
            for subscriber in list(group):
                subscriber.offer(event["id"], encoded)

    async def waiting(self, site_id: str) -> tuple[int, bytes]:
        """The site's waiting count as an event."""
        counts = await self.count_waiting(site_id)
        self._serial += 1
        return self._serial, encode(self._serial, "waiting", counts)

    def on_queue_notify(self, _conn: object, _pid: int, _channel: str, site_id: str) -> None:
        if (site_id, QUEUE) not in self.subscribers:
            return
        if site_id in self._recounting:  # a burst of decisions: one more count after this one
            self._recount_again.add(site_id)
            return
        self._recounting.add(site_id)
        asyncio.get_running_loop().create_task(self._recount(site_id))

    async def _recount(self, site_id: str) -> None:
        try:
            while True:
                self._recount_again.discard(site_id)
                event_id, encoded = await self.waiting(site_id)
                for subscriber in list(self.subscribers.get((site_id, QUEUE), ())):
                    subscriber.offer(event_id, encoded)
                if site_id not in self._recount_again:
                    return
        except Exception as exc:  # the next change counts again
            log.warning("could not count the waiting items of %s: %s", site_id, exc)
        finally:
            self._recounting.discard(site_id)

    async def run(self) -> None:
        """Listens until cancelled; reconnects when the database comes back. Events NOTIFYed while
        it was away reach the clients when they resume with Last-Event-ID."""
        await listen_forever(self.connect, {CHANNEL: self.on_notify,
                                            QUEUE_CHANNEL: self.on_queue_notify},
                             self.connected, "thread events")


async def since(conn, site_id: str, threads: list[str], last_id: int) -> list[tuple[int, bytes]]:
    """The threads' stored events after `last_id`, encoded, oldest first."""
    rows = await conn.fetch(SELECT_SINCE, site_id, threads, last_id, REPLAY_LIMIT)
    return [(row["event_id"], encode(row["event_id"], row["type"], row["data"])) for row in rows]
