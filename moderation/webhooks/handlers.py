"""Admin endpoints of webhooks: register, list, delete, rotate the secret, resume, deliveries."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from aiohttp import web
from pydantic import BaseModel, Field, StringConstraints, field_validator

from moderation.errors import ApiError, not_found
from moderation.web.http import find_site, item_id, json_response, parse_body, parse_query
from moderation.web.keys import CONFIG, POOL
from moderation.web.models import ItemId, Strict
from moderation.web.registry import endpoint
from moderation.webhooks import store
from moderation.webhooks.addresses import AllowedHosts, url_refusal
from moderation.webhooks.store import Event

WEBHOOKS_PATH = "/v1/sites/{site}/webhooks"
WEBHOOK_PATH = WEBHOOKS_PATH + "/{id}"

class WebhookIn(Strict):
    url: Annotated[str, StringConstraints(min_length=8, max_length=2000)] = Field(
        description="https://…; plain http only to hosts in WEBHOOK_ALLOWED_HOSTS")
    events: Annotated[list[Event], Field(min_length=1, max_length=len(store.EVENTS))]

    @field_validator("events")
    @classmethod
    def each_once(cls, events: list[str]) -> list[str]:
        return list(dict.fromkeys(events))


class WebhookOut(BaseModel):
    id: str
    url: str
    events: list[str]
    paused: bool
    paused_at: datetime | None
    failures_in_row: int
    created_at: datetime
    previous_secret_until: datetime | None = Field(
        description="during a rotation, deliveries are signed with the old secret too until then")


class WebhookCreated(WebhookOut):
    secret: str = Field(description="signs every delivery; shown only now")


class Webhooks(BaseModel):
    items: list[WebhookOut]


class Resumed(WebhookOut):
    queued: int = Field(description="deliveries that waited for the endpoint, now queued")


class DeliveryOut(BaseModel):
    id: str = Field(description="the X-Moderation-Delivery header, the same on every retry")
    event: str
    event_id: str
    status: Literal["pending", "failing", "delivered", "dead", "paused"]
    attempts: int
    response_status: int | None
    response_ms: int | None
    error: str | None
    created_at: datetime
    attempted_at: datetime | None


class Deliveries(BaseModel):
    items: list[DeliveryOut]
    next_cursor: str | None


class DeliveriesQuery(Strict):
    limit: Annotated[int, Field(ge=1, le=100)] = 50
    cursor: ItemId | None = Field(default=None, description="the next_cursor of the page before")


@endpoint("POST", WEBHOOKS_PATH, "Register a webhook endpoint; its secret is shown only now",
          "admin", request=WebhookIn, responses={201: WebhookCreated},
          errors=(400, 401, 403, 404, 415, 422))
async def create_webhook(request: web.Request) -> web.Response:
    site = await find_site(request)
    body = await parse_body(request, WebhookIn)
    refusal = url_refusal(body.url, AllowedHosts.parse(request.app[CONFIG].webhook_allowed_hosts))
    if refusal is not None:
        raise ApiError(422, "url_refused", f"webhooks cannot post to this URL: {refusal}",
                       [{"field": "url", "type": "url_refused", "message": refusal}])
    row, secret = await store.create(request.app[POOL], site.site_id, body.url, body.events)
    return json_response({**store.webhook_view(row), "secret": secret}, status=201)


@endpoint("GET", WEBHOOKS_PATH, "The site's webhook endpoints", "admin",
          responses={200: Webhooks}, errors=(401, 403, 404))
async def list_webhooks(request: web.Request) -> web.Response:
    site = await find_site(request)
    rows = await store.list_webhooks(request.app[POOL], site.site_id)
    return json_response({"items": [store.webhook_view(row) for row in rows]})


@endpoint("DELETE", WEBHOOK_PATH, "Remove an endpoint with its deliveries", "admin",
          responses={204: None}, errors=(401, 403, 404))
async def delete_webhook(request: web.Request) -> web.Response:
    site = await find_site(request)
    if not await store.delete(request.app[POOL], site.site_id, item_id(request)):
        raise not_found("webhook")
    return web.Response(status=204)


@endpoint("POST", WEBHOOK_PATH + "/secret",
          "Rotate the secret: the new one is shown only now; the old one keeps signing for "
          "WEBHOOK_SECRET_OVERLAP_S", "admin", responses={200: WebhookCreated},
          errors=(401, 403, 404))
async def rotate_secret(request: web.Request) -> web.Response:
    site = await find_site(request)
    row, secret = await store.rotate_secret(request.app[POOL], site.site_id, item_id(request),
                                            request.app[CONFIG].webhook_secret_overlap_s)
    if row is None:
        raise not_found("webhook")
    return json_response({**store.webhook_view(row), "secret": secret})


@endpoint("POST", WEBHOOK_PATH + "/resume",
          "Resume a paused endpoint; what waited for it is sent", "admin",
          responses={200: Resumed}, errors=(401, 403, 404))
async def resume_webhook(request: web.Request) -> web.Response:
    site = await find_site(request)
    row = await store.resume(request.app[POOL], site.site_id, item_id(request))
    if row is None:
        raise not_found("webhook")
    return json_response({**store.webhook_view(row), "queued": row["queued"]})


@endpoint("GET", WEBHOOK_PATH + "/deliveries",
          "An endpoint's deliveries, newest first, with status and response time", "admin",
          query=DeliveriesQuery, responses={200: Deliveries}, errors=(401, 403, 404, 422))
async def list_deliveries(request: web.Request) -> web.Response:
    site = await find_site(request)
    webhook_id = item_id(request)
    query = parse_query(request, DeliveriesQuery)
    pool = request.app[POOL]
    if await store.find(pool, site.site_id, webhook_id) is None:
        raise not_found("webhook")
    rows = await store.deliveries(pool, site.site_id, webhook_id,
                                  int(query.cursor) if query.cursor else None, query.limit)
    next_cursor = str(rows[-1]["delivery_id"]) if len(rows) == query.limit else None
    return json_response({"items": [store.delivery_view(row) for row in rows],
                          "next_cursor": next_cursor})
