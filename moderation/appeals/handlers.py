"""The reader's appeal of their rejected comment (public, with its edit token or their account)."""

from __future__ import annotations

from typing import Annotated, Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from moderation.appeals import store as appeals
from moderation.errors import ApiError
from moderation.identity.sso import verify_sso_token
from moderation.queue.kinds.appeal import OUTCOME
from moderation.web.http import count_public_write, find_site, item_id, json_response, parse_body
from moderation.web.keys import CLOCK, POOL, SIGNER
from moderation.web.registry import endpoint


class AppealIn(BaseModel):
    """Send the comment's edit token as X-Edit-Token, or the author's `sso_token`."""

    model_config = ConfigDict(extra="forbid")

    note: Annotated[str, Field(min_length=1, max_length=1000,
                               description="why the comment should be published")]
    sso_token: Annotated[str, Field(max_length=4096)] | None = None


class AppealAccepted(BaseModel):
    id: str
    status: Literal["open"]


@endpoint("POST", "/v1/sites/{site}/comments/{id}/appeal",
          "Appeal your rejected comment once, with a note; another moderator decides", "public",
          request=AppealIn, responses={202: AppealAccepted},
          errors=(400, 401, 403, 404, 409, 415, 422, 429, 503), headers=("X-Edit-Token",))
async def appeal_comment(request: web.Request) -> web.Response:
    site = await find_site(request)
    comment_id = item_id(request)
    body = await parse_body(request, AppealIn)
    signer = request.app[SIGNER]
    commenter = None
    if body.sso_token is not None:
        commenter = verify_sso_token(site, body.sso_token, request.app[CLOCK]()).key
    elif not request.headers.get("X-Edit-Token"):
        raise ApiError(401, "edit_token_required",
                       "send the comment's edit token as X-Edit-Token, or your sso_token")
    elif not signer.check_edit_token(site.site_id, "comment", comment_id,
                                     request.headers["X-Edit-Token"]):
        raise ApiError(403, "invalid_edit_token", "this edit token is not for this comment")
    await count_public_write(request, site, "appeal")
    note = body.note.strip()
    if not note:
        raise ApiError(422, "validation_failed", "the request has invalid fields",
                       [{"field": "note", "type": "string_too_short",
                         "message": "say in a few words why the comment should be published"}])
    async with request.app[POOL].acquire() as conn, conn.transaction():
        appeal = await appeals.file_appeal(conn, site.site_id, comment_id, note, commenter)
    return json_response({"id": str(appeal["appeal_id"]), "status": OUTCOME[appeal["status"]]},
                         status=202)
