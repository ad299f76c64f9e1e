"""Public comment endpoints: post, read, edit, delete, list a thread, count threads."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from moderation import comments
from moderation.api.http import (client_ip, find_site, item_id, json_response, parse_body,
                                 parse_query, slug_param)
from moderation.api.registry import endpoint
from moderation.app_keys import CLOCK, NOTIFIER, POOL, SIGNER
from moderation.errors import ApiError, not_found
from moderation.identity import resolve_commenter
from moderation.models import (CommentAccepted, CommentEdit, CommentIn, CommentStatus, Counts,
                               OwnCommentOut, Slug, ThreadPage)

THREAD_PATH = "/v1/sites/{site}/threads/{thread}/comments"
COMMENT_PATH = "/v1/sites/{site}/comments/{id}"


class ThreadQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sort: Literal["oldest", "newest"] = "oldest"
    limit: Annotated[int, Field(ge=1, le=100)] = 50
    cursor: Annotated[str, Field(max_length=200)] | None = None


class CountsQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    thread: Annotated[list[Slug], Field(min_length=1, max_length=100)]


def thread_slug(request: web.Request) -> str:
    return slug_param(request, "thread")


@endpoint("POST", THREAD_PATH, "Submit a comment; it is stored and queued for the rules",
          "public", request=CommentIn, responses={202: CommentAccepted},
          errors=(400, 401, 404, 409, 413, 415, 422, 503), headers=("Idempotency-Key",))
async def post_comment(request: web.Request) -> web.Response:
    site = await find_site(request)
    thread = thread_slug(request)
    body = await parse_body(request, CommentIn)
    signer = request.app[SIGNER]
    ip_hash = signer.ip_hash(client_ip(request))
    commenter = resolve_commenter(signer, site, body.commenter, body.sso_token, ip_hash,
                                  request.app[CLOCK]())
    idempotency_key = request.headers.get("Idempotency-Key")
    if idempotency_key is not None and not 1 <= len(idempotency_key) <= 200:
        raise ApiError(400, "invalid_idempotency_key", "Idempotency-Key must be 1-200 characters")
    signals = {k: v for k, v in (("website", body.website), ("elapsed_ms", body.elapsed_ms))
               if v is not None} or None
    new = comments.NewComment(
        site.site_id, thread, body.thread_url, body.thread_title, commenter.key, commenter.name,
        commenter.email, commenter.verified, int(body.parent_id) if body.parent_id else None,
        body.body, ip_hash, signals, idempotency_key)
    comment_id, created_at = await comments.accept(request.app[POOL], new)
    request.app[NOTIFIER].poke()
    return json_response({"id": str(comment_id), "status": "pending", "thread": thread,
                          "created_at": created_at,
                          "edit_token": signer.edit_token(site.site_id, "comment", comment_id)},
                         status=202)


def comment_out(row, thread: str | None = None) -> dict:
    return {"id": str(row["comment_id"]), "thread": thread or row["thread"],
            "parent_id": str(row["parent_id"]) if row["parent_id"] else None,
            "author": {"name": row["author_name"], "verified": row["verified"]},
            "body": row["body"], "created_at": row["created_at"], "edited_at": row["edited_at"]}


def own_edit_token(request: web.Request, site_id: str, comment_id: int) -> bool:
    return request.app[SIGNER].check_edit_token(site_id, "comment", comment_id,
                                                request.headers.get("X-Edit-Token"))


@endpoint("GET", COMMENT_PATH, "An approved comment, or your own in any state with X-Edit-Token",
          "public", responses={200: OwnCommentOut}, errors=(404, 503), headers=("X-Edit-Token",))
async def get_comment(request: web.Request) -> web.Response:
    site = await find_site(request)
    comment_id = item_id(request)
    row = await comments.fetch(request.app[POOL], site.site_id, comment_id)
    if row is None or row["status"] == "deleted":
        raise not_found("comment")
    if row["status"] != "approved" and not own_edit_token(request, site.site_id, comment_id):
        raise not_found("comment")
    return json_response({**comment_out(row), "status": row["status"]})


def require_edit_token(request: web.Request, site_id: str, comment_id: int) -> None:
    if not request.headers.get("X-Edit-Token"):
        raise ApiError(401, "edit_token_required", "send the comment's edit token as X-Edit-Token")
    if not own_edit_token(request, site_id, comment_id):
        raise ApiError(403, "invalid_edit_token", "this edit token is not for this comment")


@endpoint("PATCH", COMMENT_PATH, "Edit your comment within the edit window; it is checked again",
          "public", request=CommentEdit, responses={202: CommentStatus},
          errors=(400, 401, 403, 404, 415, 422, 503), headers=("X-Edit-Token",))
async def edit_comment(request: web.Request) -> web.Response:
    site = await find_site(request)
    comment_id = item_id(request)
    require_edit_token(request, site.site_id, comment_id)
    body = await parse_body(request, CommentEdit)
    await comments.edit(request.app[POOL], site.site_id, comment_id, body.body,
                        site.settings.edit_window_s, request.app[CLOCK]())
    request.app[NOTIFIER].poke()
    return json_response({"id": str(comment_id), "status": "pending"}, status=202)


@endpoint("DELETE", COMMENT_PATH, "Delete your comment", "public",
          responses={200: CommentStatus}, errors=(401, 403, 404, 503), headers=("X-Edit-Token",))
async def delete_comment(request: web.Request) -> web.Response:
    site = await find_site(request)
    comment_id = item_id(request)
    require_edit_token(request, site.site_id, comment_id)
    await comments.delete(request.app[POOL], site.site_id, comment_id)
    return json_response({"id": str(comment_id), "status": "deleted"})


def encode_cursor(request: web.Request, sort: str, created_at: datetime, comment_id: int) -> str:
    micros = int(created_at.timestamp() * 1_000_000)
    return request.app[SIGNER].sign_cursor(f"{sort}|{micros}|{comment_id}")


def decode_cursor(request: web.Request, cursor: str, sort: str) -> tuple[datetime, int]:
    payload = request.app[SIGNER].open_cursor(cursor)
    parts = payload.split("|") if payload else []
    if len(parts) != 3 or parts[0] != sort:
        raise ApiError(400, "invalid_cursor", "the cursor is not one this listing gave out")
    micros, comment_id = int(parts[1]), int(parts[2])
    return datetime.fromtimestamp(micros / 1_000_000, timezone.utc), comment_id


@endpoint("GET", THREAD_PATH, "Approved top-level comments of a thread with their replies",
          "public", query=ThreadQuery, responses={200: ThreadPage}, errors=(400, 404, 422, 503))
async def list_thread(request: web.Request) -> web.Response:
    site = await find_site(request)
    thread = thread_slug(request)
    query = parse_query(request, ThreadQuery)
    after = decode_cursor(request, query.cursor, query.sort) if query.cursor else None
    rows, total = await comments.page(request.app[POOL], site.site_id, thread, query.sort,
                                      query.limit, after)
    items, replies = [], {}
    for row in rows:
        if not row["is_reply"]:
            item = comment_out(row, thread)
            item["replies"] = replies[row["comment_id"]] = []
            items.append(item)
        else:
            replies[row["root_id"]].append(comment_out(row, thread))
    if query.sort == "newest":  # replies read oldest first under either order
        for thread_replies in replies.values():
            thread_replies.reverse()
    last = next((r for r in reversed(rows) if not r["is_reply"]), None)
    next_cursor = (encode_cursor(request, query.sort, last["created_at"], last["comment_id"])
                   if last is not None and len(items) == query.limit else None)
    return json_response({"thread": thread, "total": total, "items": items,
                          "next_cursor": next_cursor})


@endpoint("GET", "/v1/sites/{site}/counts", "Approved comment counts for up to 100 threads",
          "public", query=CountsQuery, responses={200: Counts}, errors=(404, 422, 503))
async def thread_counts(request: web.Request) -> web.Response:
    site = await find_site(request)
    query = parse_query(request, CountsQuery, lists=("thread",))
    return json_response({"counts": await comments.counts(request.app[POOL], site.site_id,
                                                          query.thread)})
