"""Public comment endpoints: post, read, edit, delete, list a thread, count threads."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Literal

import orjson
from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from moderation.appeals import store as appeals
from moderation.comments import store as comments
from moderation.config import Config
from moderation.errors import ApiError, not_found
from moderation.identity.sso import resolve_commenter
from moderation.mail import store as mail
from moderation.sites.store import Site
from moderation.threads import store as threads
from moderation.web.http import (
    client_address,
    find_site,
    item_id,
    json_bytes_response,
    json_response,
    parse_body,
    parse_query,
    slug_param,
)
from moderation.web.keys import ACCEPTER, CLOCK, CONFIG, NOTIFIER, POOL, PUBLIC_READS, SIGNER
from moderation.web.models import (
    CommentAccepted,
    CommentEdit,
    CommentIn,
    CommentStatus,
    Counts,
    OwnCommentOut,
    ReplyPage,
    Slug,
    ThreadPage,
)
from moderation.web.registry import endpoint
from moderation.web.shared_answers import share_for

THREAD_PATH = "/v1/sites/{site}/threads/{thread}/comments"
COMMENT_PATH = "/v1/sites/{site}/comments/{id}"
REPLIES_PATH = COMMENT_PATH + "/replies"
COUNTS_PATH = "/v1/sites/{site}/counts"


class ThreadQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sort: Literal["oldest", "newest", "best"] = "oldest"
    limit: Annotated[int, Field(ge=1, le=comments.MAX_PAGE)] = 50
    cursor: Annotated[str, Field(max_length=200)] | None = None


class RepliesQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    limit: Annotated[int, Field(ge=1, le=100)] = 50
    cursor: Annotated[str, Field(max_length=200)] | None = None


class CountsQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    thread: Annotated[list[Slug], Field(min_length=1, max_length=100)]


def thread_slug(request: web.Request) -> str:
    return slug_param(request, "thread")


@endpoint("POST", THREAD_PATH, "Submit a comment; it is stored and queued for the rules",
          "public", request=CommentIn, responses={202: CommentAccepted},
          errors=(400, 401, 404, 409, 413, 415, 422, 429, 503), headers=("Idempotency-Key",),
          enqueues=True)
async def post_comment(request: web.Request) -> web.Response:
    app = request.app
    site = await find_site(request)
    thread = thread_slug(request)
    body = await parse_body(request, CommentIn)
    refuse_too_long(site, body.body)
    signer = app[SIGNER]
    ip_hash = signer.ip_hash(client_address(request))
    now = app[CLOCK]()
    commenter = resolve_commenter(signer, site, body.commenter, body.sso_token, ip_hash, now)
    idempotency_key = request.headers.get("Idempotency-Key")
    if idempotency_key is not None and not 1 <= len(idempotency_key) <= 200:
        raise ApiError(400, "invalid_idempotency_key", "Idempotency-Key must be 1-200 characters")
    new = comments.NewComment(
        site.site_id, thread, body.thread_url, body.thread_title, commenter.key, commenter.name,
        commenter.email, commenter.verified, parent_id(body.parent_id), body.body, ip_hash,
        form_signals(body), idempotency_key, site.settings.rate_limits.comment,
        threads.auto_close_cutoff(site.settings.auto_close_days, now))
    if body.notify is None:
        # Committed with its rule job (in a batch with concurrent requests); the workers are woken.
        comment_id, created_at = await app[ACCEPTER].accept(new)
    else:
        comment_id, created_at = await mail.accept_subscribed(
            app[POOL], new, email_for_replies(app[CONFIG], commenter.email))
        app[NOTIFIER].poke()
    return json_response({"id": str(comment_id), "status": "pending", "thread": thread,
                          "created_at": created_at,
                          "edit_token": signer.edit_token(site.site_id, "comment", comment_id)},
                         status=202)


def email_for_replies(config: Config, email: str | None) -> str:
    """The address reply emails go to; 422 without one or with email off on this service."""
    if not config.smtp_url:
        raise ApiError(422, "email_off", "this service sends no email (SMTP_URL is not set)",
                       [{"field": "notify", "type": "email_off", "message": "email is off"}])
    if not email:
        raise ApiError(422, "validation_failed", "the request has invalid fields",
                       [{"field": "commenter.email", "type": "missing",
                         "message": "an email address is needed for reply emails"}])
    return email


def refuse_too_long(site: Site, text: str) -> None:
    """A body the length rule would reject is refused before anything is stored or judged."""
    most = site.settings.max_comment_chars()
    if most is not None and len(text) > most and len(text.strip()) > most:
        raise ApiError(422, "body_too_long", f"comments on this site are at most {most} characters",
                       [{"field": "body", "type": "body_too_long", "max_chars": most,
                         "message": f"at most {most} characters"}])


MAX_BIGINT = 2**63 - 1


def parent_id(raw: str | None) -> int | None:
    """Ids are bigints: a larger one (the API allows 19 digits) names no comment."""
    if raw is None:
        return None
    value = int(raw)
    if value > MAX_BIGINT:
        raise comments.unknown_parent()
    return value


def form_signals(body: CommentIn) -> dict | None:
    """The honeypot field and form time, for the rules; None when the form sent neither."""
    if body.website is None and body.elapsed_ms is None:
        return None
    return {k: v for k, v in (("website", body.website), ("elapsed_ms", body.elapsed_ms))
            if v is not None}


def comment_out(row, thread: str | None = None) -> dict:
    """A comment as readers see it. In a thread page (`thread` given), one no longer approved,
    listed for its approved replies, is a "comment removed" placeholder that shows nothing of
    what it said or who said it."""
    removed = thread is not None and row["status"] != "approved"
    return {"id": str(row["comment_id"]), "thread": thread or row["thread"],
            "parent_id": str(row["parent_id"]) if row["parent_id"] else None,
            "author": {"name": "" if removed else row["author_name"],
                       "verified": False if removed else row["verified"]},
            "body": "" if removed else row["body"], "created_at": row["created_at"],
            "edited_at": None if removed else row["edited_at"],
            "votes": {"up": row["votes_up"], "down": row["votes_down"]},
            "featured": row["featured_at"] is not None and not removed, "removed": removed}


def own_edit_token(request: web.Request, site_id: str, comment_id: int) -> bool:
    return request.app[SIGNER].check_edit_token(site_id, "comment", comment_id,
                                                request.headers.get("X-Edit-Token"))


@endpoint("GET", COMMENT_PATH, "An approved comment, or your own in any state with X-Edit-Token",
          "public", responses={200: OwnCommentOut}, errors=(404, 503), headers=("X-Edit-Token",))
async def get_comment(request: web.Request) -> web.Response:
    site = await find_site(request)
    comment_id = item_id(request)
    own = own_edit_token(request, site.site_id, comment_id)
    # Your own comment is read on the primary: a replica may not have it yet.
    row = (await comments.fetch(request.app[POOL], site.site_id, comment_id) if own else
           await request.app[PUBLIC_READS].run(comments.fetch, site.site_id, comment_id))
    if row is None or row["status"] == "deleted":
        raise not_found("comment")
    if row["status"] != "approved" and not own:
        raise not_found("comment")
    # Only the author learns why their comment was removed, and what became of their appeal.
    told = await appeals.reader_view(request.app[POOL], site.site_id,
                                     site.settings.rejection_reasons, row) if own else {}
    return json_response({**comment_out(row), "status": row["status"], **told})


def require_edit_token(request: web.Request, site_id: str, comment_id: int) -> None:
    if not request.headers.get("X-Edit-Token"):
        raise ApiError(401, "edit_token_required", "send the comment's edit token as X-Edit-Token")
    if not own_edit_token(request, site_id, comment_id):
        raise ApiError(403, "invalid_edit_token", "this edit token is not for this comment")


@endpoint("PATCH", COMMENT_PATH, "Edit your comment within the edit window; it is checked again",
          "public", request=CommentEdit, responses={202: CommentStatus},
          errors=(400, 401, 403, 404, 409, 415, 422, 503), headers=("X-Edit-Token",),
          enqueues=True)
async def edit_comment(request: web.Request) -> web.Response:
    site = await find_site(request)
    comment_id = item_id(request)
    require_edit_token(request, site.site_id, comment_id)
    body = await parse_body(request, CommentEdit)
    refuse_too_long(site, body.body)
    await comments.edit(request.app[POOL], site.site_id, comment_id, body.body,
                        site.settings.edit_window_s, request.app[CLOCK](),
                        request.app[NOTIFIER].poke)
    return json_response({"id": str(comment_id), "status": "pending"}, status=202)


@endpoint("DELETE", COMMENT_PATH, "Delete your comment", "public",
          responses={200: CommentStatus}, errors=(401, 403, 404, 503), headers=("X-Edit-Token",))
async def delete_comment(request: web.Request) -> web.Response:
    site = await find_site(request)
    comment_id = item_id(request)
    require_edit_token(request, site.site_id, comment_id)
    await comments.delete(request.app[POOL], site.site_id, comment_id)
    return json_response({"id": str(comment_id), "status": "deleted"})


def encode_cursor(request: web.Request, listing: str, created_at: datetime,
                  comment_id: int, best: float | None = None) -> str:
    """A signed position in one listing: a thread page's sort order, or one comment's replies;
    sort=best's also holds the last comment's score."""
    return cursor_at(request, listing, int(created_at.timestamp() * 1_000_000), comment_id, best)


def cursor_at(request: web.Request, listing: str, micros: int, comment_id: int,
              best: float | None = None) -> str:
    """encode_cursor with the time as microseconds since 1970."""
    score = "" if best is None else f"|{best!r}"
    return request.app[SIGNER].sign_cursor(f"{listing}|{micros}|{comment_id}{score}")


def decode_cursor(request: web.Request, cursor: str, listing: str) -> tuple:
    """(created_at, comment_id), and the score for sort=best."""
    payload = request.app[SIGNER].open_cursor(cursor)
    parts = payload.split("|") if payload else []
    if len(parts) != (4 if listing == "best" else 3) or parts[0] != listing:
        raise ApiError(400, "invalid_cursor", "the cursor is not one this listing gave out")
    micros, comment_id = int(parts[1]), int(parts[2])
    position = (datetime.fromtimestamp(micros / 1_000_000, timezone.utc), comment_id)
    return (*position, float(parts[3])) if listing == "best" else position


def replies_listing(root_id: int) -> str:
    """Replies cursors name their comment: one comment's cursor cannot page another's replies."""
    return f"replies:{root_id}"


@endpoint("GET", THREAD_PATH, "Approved top-level comments of a thread with their replies",
          "public", query=ThreadQuery, responses={200: ThreadPage}, errors=(400, 404, 422, 503))
async def list_thread(request: web.Request) -> web.Response:
    return shared_page(request, await render_thread_page(request))


def shared_page(request: web.Request, body: bytes) -> web.Response:
    """A rendered page of public comments, shared between its readers for PAGE_CACHE_S."""
    return share_for(request, json_bytes_response(body), request.app[CONFIG].page_cache_s)


async def render_thread_page(request: web.Request) -> bytes:
    site = await find_site(request)
    thread = thread_slug(request)
    query = parse_query(request, ThreadQuery)
    after = decode_cursor(request, query.cursor, query.sort) if query.cursor else None
    config = request.app[CONFIG]
    found = await request.app[PUBLIC_READS].run(
        comments.page, site.site_id, thread, query.sort, query.limit,
        config.replies_per_comment, config.page_max_replies, after)
    # The rows come in the page's order, each comment as JSON text (comments.PAGE_TEMPLATE):
    # the page is put together from those texts, no comment is decoded and encoded again.
    tops, featured = [], []
    replies: dict[int, list] = {}
    for row in found.rows:
        kind = row[0]
        if kind == comments.TOP:
            tops.append(row)
        elif kind == comments.REPLY:
            replies.setdefault(row["root_id"], []).append(row)
        else:
            featured.append(row["json"])
    items, cut_short = [], False
    for top in tops:
        shown = replies.get(top["comment_id"], ())
        items.append(thread_item(request, top, shown))
        cut_short = cut_short or top["reply_count"] > len(shown)
    last = tops[-1] if tops else None
    next_cursor = (cursor_at(request, query.sort, last["at"], last["comment_id"],
                             last["best"] if query.sort == "best" else None)
                   if last is not None and len(items) == query.limit else None)
    replies_on_page = sum(len(shown) for shown in replies.values())
    truncated = replies_on_page >= config.page_max_replies and cut_short
    cutoff = threads.auto_close_cutoff(site.settings.auto_close_days, request.app[CLOCK]())
    head = orjson.dumps({
        "thread": thread, "total": found.total,
        "closed": threads.is_closed(found.thread_closed, found.thread_created_at, cutoff),
        "edit_window_s": site.settings.edit_window_s,
        "email_replies": config.smtp_url is not None}).decode()
    return (f'{head[:-1]},"featured":[{",".join(featured)}],"items":[{",".join(items)}],'
            f'"next_cursor":{json_string(next_cursor)},'
            f'"replies_truncated":{"true" if truncated else "false"}}}').encode()


def json_string(cursor: str | None) -> str:
    """A cursor (URL-safe base64 and dots: nothing to escape) as JSON."""
    return "null" if cursor is None else f'"{cursor}"'


def thread_item(request: web.Request, top, shown) -> str:
    """A top-level comment with its first replies and, when more exist, where to read on: its
    JSON with three more fields (the JSON of moderation.web.models.CommentWithReplies)."""
    count = top["reply_count"]
    if not count:
        return top["json"][:-1] + NO_REPLIES
    # More than shown: continue after the last one shown, or from the start when the page's
    # replies ran out before this comment's.
    if count <= len(shown):
        cursor = None
    else:
        last = (shown[-1]["at"], shown[-1]["comment_id"]) if shown else (0, 0)  # 0: 1970
        cursor = cursor_at(request, replies_listing(top["comment_id"]), *last)
    return (f'{top["json"][:-1]},"replies":[{",".join(reply["json"] for reply in shown)}],'
            f'"reply_count":{count},"replies_cursor":{json_string(cursor)}}}')


NO_REPLIES = ',"replies":[],"reply_count":0,"replies_cursor":null}'


@endpoint("GET", REPLIES_PATH, "Approved replies of a top-level comment, oldest first",
          "public", query=RepliesQuery, responses={200: ReplyPage}, errors=(400, 404, 422, 503))
async def list_replies(request: web.Request) -> web.Response:
    return shared_page(request, await render_replies_page(request))


async def render_replies_page(request: web.Request) -> bytes:
    site = await find_site(request)
    root_id = item_id(request)
    query = parse_query(request, RepliesQuery)
    listing = replies_listing(root_id)
    after = decode_cursor(request, query.cursor, listing) if query.cursor else None
    # One more than asked tells whether another page exists, so no cursor leads to an empty one.
    rows = await request.app[PUBLIC_READS].run(comments.replies, site.site_id, root_id,
                                               query.limit + 1, after)
    if rows is None:
        raise not_found("comment")
    shown = rows[:query.limit]
    next_cursor = (encode_cursor(request, listing, shown[-1]["created_at"],
                                 shown[-1]["comment_id"])
                   if len(rows) > query.limit else None)
    return orjson.dumps({"comment": str(root_id), "items": [comment_out(r) for r in shown],
                         "next_cursor": next_cursor})


@endpoint("GET", COUNTS_PATH, "Approved comment counts for up to 100 threads",
          "public", query=CountsQuery, responses={200: Counts}, errors=(404, 422, 503))
async def thread_counts(request: web.Request) -> web.Response:
    site = await find_site(request)
    query = parse_query(request, CountsQuery, lists=("thread",))
    return json_response({"counts": await request.app[PUBLIC_READS].run(
        comments.counts, site.site_id, query.thread)})
