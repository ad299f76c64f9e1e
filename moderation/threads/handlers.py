"""A thread's state for readers (GET) and closing or reopening it for moderators (PATCH)."""

from __future__ import annotations

from datetime import datetime

from aiohttp import web
from pydantic import BaseModel, ConfigDict

from moderation.sites.store import Site
from moderation.threads import store as threads
from moderation.web.http import find_site, json_response, parse_body, slug_param
from moderation.web.keys import CLOCK, POOL
from moderation.web.registry import endpoint

THREAD_STATE_PATH = "/v1/sites/{site}/threads/{thread}"


class ThreadOut(BaseModel):
    thread: str
    title: str | None
    url: str | None
    closed: bool
    total: int


class ThreadChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    closed: bool


def close_cutoff(request: web.Request, site: Site) -> datetime | None:
    return threads.auto_close_cutoff(site.settings.auto_close_days, request.app[CLOCK]())


@endpoint("GET", THREAD_STATE_PATH, "A thread: title, address, closed or open, comment count",
          "public", responses={200: ThreadOut}, errors=(404, 422, 503))
async def get_thread(request: web.Request) -> web.Response:
    site = await find_site(request)
    thread = slug_param(request, "thread")
    state = await threads.fetch_state(request.app[POOL], site.site_id, thread,
                                      close_cutoff(request, site))
    return json_response(state.as_json())


@endpoint("PATCH", THREAD_STATE_PATH, "Close or reopen a thread", "moderator",
          request=ThreadChange, responses={200: ThreadOut}, errors=(400, 401, 404, 415, 422))
async def change_thread(request: web.Request) -> web.Response:
    site = await find_site(request)
    thread = slug_param(request, "thread")
    body = await parse_body(request, ThreadChange)
    state = await threads.set_closed(request.app[POOL], site.site_id, thread, body.closed,
                                     close_cutoff(request, site))
    return json_response(state.as_json())
