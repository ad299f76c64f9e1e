"""Admin endpoints for the site's named tokens: moderators and admins, created, listed, revoked."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, field_validator

from moderation.errors import ApiError, not_found
from moderation.sites import store as sites
from moderation.web.http import find_site, item_id, json_response, parse_body
from moderation.web.keys import POOL
from moderation.web.registry import endpoint

TOKENS_PATH = "/v1/sites/{site}/tokens"


class TokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Literal["moderator", "admin"]
    label: Annotated[str, Field(description="who holds it, as the audit names them")]

    @field_validator("label")
    @classmethod
    def who_holds_it(cls, label: str) -> str:
        return sites.token_label(label)


class TokenOut(BaseModel):
    id: str
    role: str
    label: str
    created_at: datetime


class TokenCreated(TokenOut):
    token: str = Field(description="shown only now; the service keeps only its hash")


class TokenList(BaseModel):
    items: list[TokenOut]


def token_out(row) -> dict:
    return {"id": str(row["token_id"]), "role": row["role"], "label": row["label"],
            "created_at": row["created_at"]}


@endpoint("GET", TOKENS_PATH, "The site's active tokens and who holds them", "admin",
          responses={200: TokenList}, errors=(401, 403, 404))
async def list_tokens(request: web.Request) -> web.Response:
    site = await find_site(request)
    rows = await sites.list_tokens(request.app[POOL], site.site_id)
    return json_response({"items": [token_out(r) for r in rows]})


@endpoint("POST", TOKENS_PATH, "A new moderator or admin token, named for who holds it", "admin",
          request=TokenIn, responses={201: TokenCreated}, errors=(400, 401, 403, 404, 409, 415, 422))
async def create_token(request: web.Request) -> web.Response:
    site = await find_site(request)
    body = await parse_body(request, TokenIn)
    try:
        token, row = await sites.issue_token(request.app[POOL], site.site_id, body.role, body.label)
    except sites.TokenLabelTaken:
        raise ApiError(409, "label_taken", f"an active token is already labelled {body.label!r}; "
                       "the audit could not tell them apart") from None
    return json_response({**token_out(row), "token": token}, status=201)


@endpoint("DELETE", TOKENS_PATH + "/{id}", "Revoke a token at once", "admin",
          responses={204: None}, errors=(401, 403, 404))
async def revoke_token(request: web.Request) -> web.Response:
    site = await find_site(request)
    if not await sites.revoke_token_id(request.app[POOL], site.site_id, item_id(request)):
        raise not_found("token")
    return web.Response(status=204)
