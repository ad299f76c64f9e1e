"""GET …/threads/{thread}/events: a thread's changes as Server-Sent Events, resumable."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Annotated

from aiohttp import web
from prometheus_client import Gauge
from pydantic import BaseModel, ConfigDict, Field

from moderation.db import pool as database
from moderation.errors import ApiError
from moderation.live import hub as live
from moderation.observability import METRICS
from moderation.review import desk
from moderation.web.http import client_address, find_site, parse_query, slug_param
from moderation.web.keys import CONFIG, DIRECT_DATABASE_URL, POOL, SIGNER
from moderation.web.models import Slug
from moderation.web.registry import endpoint

EVENTS_PATH = "/v1/sites/{site}/threads/{thread}/events"
HEARTBEAT_S = 25  # a comment line this often keeps proxies from closing a quiet stream
RETRY_MS = 3000

THREAD_EVENTS = web.AppKey("thread_events", live.ThreadEvents)


class EventsQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    last_event_id: Annotated[int, Field(ge=0)] | None = Field(
        default=None, description="resume after this event (as the Last-Event-ID header does)")
    author: Slug | None = Field(default=None, description="also `rating` events of this author")


def resume_after(request: web.Request, query: EventsQuery) -> int:
    raw = request.headers.get("Last-Event-ID")
    if raw is None:
        return query.last_event_id or 0
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        raise ApiError(400, "invalid_last_event_id", "Last-Event-ID is not an event id of ours")
    return int(raw)


@endpoint("GET", EVENTS_PATH, "A thread's changes as Server-Sent Events: comment.published, "
          "comment.edited, comment.removed, votes, and with ?author= rating; resumable with "
          "Last-Event-ID", "public",
          query=EventsQuery, errors=(400, 404, 422, 429, 503), headers=("Last-Event-ID",),
          content_type="text/event-stream")
async def thread_events(request: web.Request) -> web.StreamResponse:
    site = await find_site(request)
    thread = slug_param(request, "thread")
    query = parse_query(request, EventsQuery)
    last_id = resume_after(request, query)
    keys = [thread] + ([live.author_key(query.author)] if query.author else [])
    address = request.app[SIGNER].ip_hash(client_address(request))
    most = request.app[CONFIG].sse_per_address
    if most and request.app[THREAD_EVENTS].per_address.get(address, 0) >= most:
        # Each stream holds memory for as long as it lasts: one client cannot hold them all.
        raise ApiError(429, "too_many_streams",
                       f"at most {most} open event streams per client address",
                       headers={"Retry-After": str(HEARTBEAT_S)})
    pool = request.app[POOL]

    async def missed() -> list[tuple[int, bytes]]:
        return await live.since(pool, site.site_id, keys, last_id) if last_id else []
    headers = {"Vary": "Origin"}
    origin = request.headers.get("Origin")
    if origin is not None and site.allows_origin(origin):
        # Sent with the head, before the middleware could add it to a finished answer.
        headers["Access-Control-Allow-Origin"] = origin
    return await stream(request, headers, tuple((site.site_id, key) for key in keys), missed,
                        address)


async def stream(request: web.Request, headers: dict[str, str], keys: tuple[live.Key, ...],
                 read_first: Callable[[], Awaitable[list[tuple[int, bytes]]]],
                 address: bytes = b"") -> web.StreamResponse:
    """Sends what `read_first` reads, then the keys' events as they come, until the client goes
    or is dropped. `address` (a client's address hash) counts toward SSE_PER_ADDRESS."""
    response = web.StreamResponse(headers={**headers, "Cache-Control": "no-cache",
                                           "X-Accel-Buffering": "no"})
    response.content_type = "text/event-stream"
    events = request.app[THREAD_EVENTS]
    handler = asyncio.current_task()
    assert handler is not None

    def end_stream() -> None:
        handler.cancel()
    # Subscribed (and counted toward the address's streams) before anything is awaited: no
    # event falls between the catch-up read and the subscription, and no burst of requests
    # passes the per-address check together.
    subscriber = events.subscribe(keys, end_stream, address)
    try:
        first = await read_first()
        # Events heard live while the missed ones were read are sent once. (Ids are not a clock:
        # two transactions may commit out of id order, so nothing else is skipped.)
        sent = {event_id for event_id, _ in first}
        await response.prepare(request)
        await response.write(b"retry: %d\n\n" % RETRY_MS)
        for _, encoded in first:
            await response.write(encoded)
        while True:
            try:
                async with asyncio.timeout(HEARTBEAT_S):
                    event_id, encoded = await subscriber.queue.get()
            except TimeoutError:
                await response.write(b": keep-alive\n\n")
                continue
            if event_id not in sent:
                await response.write(encoded)
    finally:
        events.unsubscribe(subscriber)
    return response  # not reached: the stream ends when the client goes or is dropped


@endpoint("GET", "/v1/sites/{site}/queue/events", "The number of items waiting for moderators, "
          "as Server-Sent Events (`waiting`: held items per kind, as GET …/queue/waiting), sent "
          "when it changes",
          "moderator", errors=(401, 404, 503), content_type="text/event-stream")
async def queue_events(request: web.Request) -> web.StreamResponse:
    site = await find_site(request)
    events = request.app[THREAD_EVENTS]

    async def now() -> list[tuple[int, bytes]]:
        return [await events.waiting(site.site_id)]
    return await stream(request, {}, ((site.site_id, live.QUEUE),), now)


async def live_ctx(app: web.Application):
    """The process's LISTEN connection for thread events; open streams end on shutdown."""
    config, url = app[CONFIG], app[DIRECT_DATABASE_URL]  # LISTEN needs a session of its own
    pool = app[POOL]
    events = app[THREAD_EVENTS] = live.ThreadEvents(lambda: database.connect(url, config, "live"),
                                                    lambda site_id: desk.waiting(pool, site_id))
    Gauge("moderation_sse_subscribers", "open Server-Sent Event streams of this process",
          registry=app[METRICS].registry).set_function(events.count)
    task = asyncio.create_task(events.run(), name="thread-events")
    yield
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def end_streams(app: web.Application) -> None:
    app[THREAD_EVENTS].close_all()
