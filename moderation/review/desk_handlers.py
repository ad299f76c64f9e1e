"""The desk's reads: exact waiting counts for moderators, and finding people for admins."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from moderation.review import desk
from moderation.web.http import find_site, json_response, parse_query
from moderation.web.keys import POOL
from moderation.web.registry import endpoint


class Waiting(BaseModel):
    comment: int
    rating: int
    appeal: int


@endpoint("GET", "/v1/sites/{site}/queue/waiting",
          "Exactly how many items wait for a moderator, per kind", "moderator",
          responses={200: Waiting}, errors=(401, 404))
async def waiting(request: web.Request) -> web.Response:
    site = await find_site(request)
    async with request.app[POOL].acquire() as conn:
        return json_response(await desk.waiting(conn, site.site_id))


class PeopleQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    q: Annotated[str, Field(min_length=1, max_length=200,
                            description="a commenter id, an email, or the start of a name")]
    limit: Annotated[int, Field(ge=1, le=100)] = 20


class PersonFound(BaseModel):
    id: str
    name: str
    email: str | None
    verified: bool
    comments: int
    banned: bool
    first_seen: datetime


class PeopleFound(BaseModel):
    items: list[PersonFound]


@endpoint("GET", "/v1/sites/{site}/commenters", "Find commenters by id, email or name", "admin",
          query=PeopleQuery, responses={200: PeopleFound}, errors=(401, 403, 404, 422))
async def find_people(request: web.Request) -> web.Response:
    site = await find_site(request)
    query = parse_query(request, PeopleQuery)
    async with request.app[POOL].acquire() as conn:
        found = await desk.find_people(conn, site.site_id, query.q, query.limit)
    return json_response({"items": found})
