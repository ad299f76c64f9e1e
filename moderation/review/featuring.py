"""Moderators feature and unfeature comments (Editors' picks)."""

from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel

from moderation.comments import featured
from moderation.review.store import moderator_name
from moderation.web.http import find_site, item_id, json_response
from moderation.web.keys import POOL
from moderation.web.middlewares import TOKEN
from moderation.web.registry import endpoint

FEATURE_PATH = "/v1/sites/{site}/queue/comment/{id}/feature"


class FeaturedOut(BaseModel):
    id: str
    featured: bool


async def change(request: web.Request, on: bool) -> web.Response:
    site = await find_site(request)
    comment_id = item_id(request)
    await featured.set_featured(request.app[POOL], site.site_id, comment_id, on,
                                moderator_name(request[TOKEN]))
    return json_response({"id": str(comment_id), "featured": on})


@endpoint("POST", FEATURE_PATH, "Feature a published comment (Editors' picks)", "moderator",
          responses={200: FeaturedOut}, errors=(401, 404, 409))
async def feature_comment(request: web.Request) -> web.Response:
    return await change(request, True)


@endpoint("DELETE", FEATURE_PATH, "Stop featuring a comment", "moderator",
          responses={200: FeaturedOut}, errors=(401, 404))
async def unfeature_comment(request: web.Request) -> web.Response:
    return await change(request, False)
