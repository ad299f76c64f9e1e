"""POST a vote on a comment: up, down or withdrawn; answers the comment's counts."""

from __future__ import annotations

from typing import Annotated

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from moderation.identity.sso import resolve_rater
from moderation.threads.store import auto_close_cutoff
from moderation.votes import store as votes
from moderation.web.addresses import address_range
from moderation.web.http import (
    client_address,
    count_public_write,
    find_site,
    item_id,
    json_response,
    parse_body,
)
from moderation.web.keys import CLOCK, POOL, SIGNER
from moderation.web.models import VoteCounts
from moderation.web.registry import endpoint

VOTES_PATH = "/v1/sites/{site}/comments/{id}/votes"


class VoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    value: Annotated[int, Field(ge=-1, le=1, strict=True)] = Field(
        description="1 up, -1 down, 0 withdraws your vote")
    sso_token: Annotated[str, StringConstraints(max_length=4096)] | None = Field(
        default=None, description="the site's signed token: one vote per account")


@endpoint("POST", VOTES_PATH, "Vote a published comment up or down, change or withdraw the vote",
          "public", request=VoteIn, responses={200: VoteCounts},
          errors=(400, 401, 404, 409, 413, 415, 422, 429, 503))
async def vote_comment(request: web.Request) -> web.Response:
    app = request.app
    site = await find_site(request)
    target = item_id(request)
    body = await parse_body(request, VoteIn)
    signer = app[SIGNER]
    ip_hash = await count_public_write(request, site, "vote")
    # One vote per reader: their account when signed in, else their address (as for reports).
    voter = resolve_rater(signer, site, None, body.sso_token, ip_hash, app[CLOCK]())
    network = address_range(client_address(request))
    counts = await votes.vote(
        app[POOL], site.site_id, target, voter.key, body.value,
        signer.ip_hash(network) if network else None, site.settings.vote_flood,
        auto_close_cutoff(site.settings.auto_close_days, app[CLOCK]()))
    return json_response(counts.as_json())
