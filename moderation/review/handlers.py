"""Moderator endpoints: the review queue, claims, decisions, commenters, audit, rule precision;
and the public report endpoint that feeds the queue."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Annotated, Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, model_validator

from moderation.appeals import store as appeals
from moderation.appeals.reasons import RejectionReason
from moderation.comments import reports
from moderation.db.pool import Connection
from moderation.errors import ApiError, not_found
from moderation.identity.sso import resolve_rater
from moderation.queue.kinds import KINDS, kind_named
from moderation.review import commenters, desk
from moderation.review import store as review
from moderation.rules import rules_for
from moderation.rules.commenter import trusted_after
from moderation.web.http import count_public_write, find_site, item_id, json_response, parse_body, parse_query
from moderation.web.keys import CLOCK, POOL, SIGNER
from moderation.web.middlewares import TOKEN
from moderation.web.registry import endpoint

CLAIM_SECONDS = 300
if TYPE_CHECKING:
    Kind = str
else:  # every registered kind, so a new kind needs no change here
    Kind = Literal[tuple(KINDS)]
Id = Annotated[str, Field(pattern=r"^[1-9][0-9]{0,18}$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class QueueQuery(Strict):
    kind: Kind = "comment"
    status: Literal["held", "pending", "rejected", "approved"] = "held"
    rule: Annotated[str, Field(max_length=64)] | None = None
    order: Literal["oldest", "priority"] = "oldest"
    limit: Annotated[int, Field(ge=1, le=100)] = 50
    cursor: Annotated[str, Field(max_length=300)] | None = None
    include_claimed: bool = False


class Verdict(BaseModel):
    rule: str
    action: str
    score: float
    reason: str
    details: dict


class PersonSummary(BaseModel):
    id: str
    verified: bool
    counts: dict[str, int]
    trusted: bool
    banned_until: datetime | None


class QueueReport(BaseModel):
    reason: str
    note: str | None
    created_at: datetime


class ThreadRef(BaseModel):
    slug: str
    title: str | None
    url: str | None


class ParentComment(BaseModel):
    id: str
    author: str
    body: str
    status: str


class RecentOutcome(BaseModel):
    id: str
    thread: str
    body: str
    status: str
    created_at: datetime


class PersonInQueue(PersonSummary):
    recent: list[RecentOutcome] = Field(
        default=[], description="a commenter's last few other comments and their outcomes")


class AppealFields(BaseModel):
    comment_id: str
    note: str
    rejected_by: str
    comment_status: str
    comment_version: int


class QueueItem(BaseModel):
    kind: Kind
    id: str
    status: str
    revision: int
    priority: float
    created_at: datetime
    claimed_by: str | None
    verdicts: list[Verdict]
    commenter: PersonInQueue
    reports: list[QueueReport]
    thread: ThreadRef | None = Field(default=None, description="the article (comments, appeals)")
    parent_id: str | None = Field(
        default=None, description="for a reply, the id of the comment it answers; null otherwise")
    parent: ParentComment | None = Field(default=None, description="the comment it answers")
    appeal: AppealFields | None = Field(default=None, description="for an appeal: its note and "
                                        "the rejected comment (the item's body)")
    suggested_reason: str | None = Field(
        default=None, description="the rejection reason its reports or rules point to")
    author_name: str | None = None
    body: str | None = None
    author: str | None = None
    score: int | None = None


class QueuePage(BaseModel):
    items: list[QueueItem]
    next_cursor: str | None


class Decision(Strict):
    action: Literal["approve", "reject", "uphold", "reinstate"] = Field(
        description="approve or reject a comment or rating; uphold or reinstate an appeal")
    reason: Annotated[str, Field(max_length=500)] = ""
    reason_code: Annotated[str, Field(max_length=40)] | None = Field(
        default=None, description="when rejecting: one of the site's rejection_reasons (the "
                                  "reader is told it)")
    ban_commenter: bool = False
    revision: Annotated[int, Field(ge=1)] | None = Field(
        default=None, description="the revision you saw; a newer one makes the decision 409")


class DecisionOut(BaseModel):
    kind: Kind
    id: str
    status: str
    revision: int
    changed: bool


class BulkItem(Strict):
    kind: Kind = "comment"
    id: Id
    revision: Annotated[int, Field(ge=1)] | None = None


class BulkDecision(Strict):
    action: Literal["approve", "reject"]
    reason: Annotated[str, Field(max_length=500)] = ""
    reason_code: Annotated[str, Field(max_length=40)] | None = None
    items: Annotated[list[BulkItem], Field(max_length=500)] = []
    commenter: Annotated[str, Field(max_length=200)] | None = Field(
        default=None, description="decide every open item of this commenter")
    ban_commenter: bool = False

    @model_validator(mode="after")
    def something_to_decide(self):
        if not self.items and not self.commenter:
            raise ValueError("give items or a commenter")
        return self


class BulkOutcome(BaseModel):
    results: list[dict]


class Claimed(BaseModel):
    claimed_by: str
    expires_at: datetime


class ReportIn(Strict):
    """A reader counts once per comment: by account with `sso_token`, else by their address (a
    fingerprint is not taken: one person could claim many)."""

    reason: Literal["spam", "abuse", "off_topic", "other"]
    note: Annotated[str, Field(max_length=500)] | None = None
    sso_token: Annotated[str, Field(max_length=4096)] | None = None


class ReportAccepted(BaseModel):
    status: Literal["received"]


class BanIn(Strict):
    duration_s: Annotated[int, Field(ge=60, le=10 * 365 * 86400)] | None = Field(
        default=None, description="omit for a permanent ban")
    reason: Annotated[str, Field(max_length=500)] = ""


class AuditQuery(Strict):
    limit: Annotated[int, Field(ge=1, le=200)] = 50
    cursor: Annotated[str, Field(max_length=200)] | None = None
    actor: Annotated[str, Field(max_length=200, description=(
        "who: rules, commenter, moderator:<label>, or moderators for every person"))] | None = None
    action: Annotated[str, Field(max_length=40, description="what: decide, approve, reject, "
                                 "ban, unban, erase, appeal, uphold, reinstate…")] | None = None
    kind: Literal["comment", "rating", "commenter", "appeal"] | None = None
    since: datetime | None = Field(default=None, description="when: from this moment")
    until: datetime | None = Field(default=None, description="when: before this moment")


class AuditEntry(BaseModel):
    id: str
    kind: str
    item_id: str | None
    commenter: str | None
    actor: str
    action: str
    from_status: str | None
    to_status: str
    reason: str
    reason_code: str | None
    created_at: datetime


class AuditPage(BaseModel):
    items: list[AuditEntry]
    next_cursor: str | None


class RuleStat(BaseModel):
    rule: str
    action: str
    flagged: int
    reviewed: int
    overturned: int
    overturn_rate: float | None


class RuleDay(BaseModel):
    day: str
    fired: int
    overturned: int


class RuleActivity(BaseModel):
    rule: str
    fired: int
    overturned: int
    days: list[RuleDay]


class StatsQuery(Strict):
    days: Annotated[int, Field(ge=1, le=365)] = 30


class RuleStats(BaseModel):
    days: int
    rules: list[RuleStat]
    activity: list[RuleActivity] = Field(description="per rule, fired and overturned each day")
    # What the moderators' page needs to know: every rule there is (to filter by), by kind, how
    # long an opened item stays claimed, and the reasons a rejection may give.
    rule_names: dict[str, list[str]]
    claim_s: int
    rejection_reasons: list[RejectionReason]


def moderator(request: web.Request) -> str:
    return review.moderator_name(request[TOKEN])


def kind_of(request: web.Request) -> str:
    return kind_named(request.match_info["kind"]).name


def queue_cursor(request: web.Request, query: QueueQuery, item: dict) -> str:
    key = item["priority"] if query.order == "priority" else \
        int(item["created_at"].timestamp() * 1_000_000)
    return request.app[SIGNER].sign_cursor(f"q|{query.kind}|{query.status}|{query.order}|{key}|{item['id']}")


def open_queue_cursor(request: web.Request, query: QueueQuery):
    payload = request.app[SIGNER].open_cursor(query.cursor) if query.cursor else None
    parts = payload.split("|") if payload else []
    if len(parts) != 6 or parts[:4] != ["q", query.kind, query.status, query.order]:
        raise ApiError(400, "invalid_cursor", "the cursor is not one this listing gave out")
    key = float(parts[4]) if query.order == "priority" else \
        datetime.fromtimestamp(int(parts[4]) / 1_000_000, timezone.utc)
    return key, int(parts[5])


@endpoint("GET", "/v1/sites/{site}/queue", "Items waiting for moderators, with the rules' reasons",
          "moderator", query=QueueQuery, responses={200: QueuePage}, errors=(400, 401, 404, 422))
async def list_queue(request: web.Request) -> web.Response:
    site = await find_site(request)
    query = parse_query(request, QueueQuery)
    after = open_queue_cursor(request, query) if query.cursor else None
    async with request.app[POOL].acquire() as conn:
        items = await review.list_items(conn, site.site_id, query.kind, query.status, query.rule,
                                        query.order, query.limit, query.include_claimed,
                                        moderator(request), after, trusted_after(site.settings))
        if query.kind != "rating":
            await desk.add_comment_context(conn, site.site_id, items,
                                           trusted_after(site.settings))
    next_cursor = queue_cursor(request, query, items[-1]) if len(items) == query.limit else None
    return json_response({"items": items, "next_cursor": next_cursor})


@endpoint("POST", "/v1/sites/{site}/queue/{kind}/{id}/claim",
          "Reserve an item for a few minutes so other moderators skip it", "moderator",
          responses={200: Claimed}, errors=(401, 404, 409))
async def claim_item(request: web.Request) -> web.Response:
    site = await find_site(request)
    async with request.app[POOL].acquire() as conn:
        row = await review.claim(conn, site.site_id, kind_of(request), item_id(request),
                                 moderator(request), CLAIM_SECONDS)
    return json_response({"claimed_by": row["moderator"], "expires_at": row["expires_at"]})


@endpoint("POST", "/v1/sites/{site}/queue/{kind}/{id}/decision", "Approve or reject one item",
          "moderator", request=Decision, responses={200: DecisionOut},
          errors=(400, 401, 404, 409, 415, 422))
async def decide_item(request: web.Request) -> web.Response:
    site = await find_site(request)
    kind, target = kind_of(request), item_id(request)
    body = await parse_body(request, Decision)
    action = queue_action(kind, body.action)
    reason_code = known_reason(site, body.reason_code) if action == "reject" else None
    async with request.app[POOL].acquire() as conn, conn.transaction():
        outcome = await decide_one(conn, site.site_id, kind, target, action, body.reason,
                                   body.revision, moderator(request), body.ban_commenter,
                                   reason_code)
    return json_response(outcome.as_json())


def queue_action(kind: str, action: str) -> str:
    """approve or reject; an appeal may also be reinstated (approved) or upheld (rejected)."""
    if action in appeals.ACTIONS:
        if kind != "appeal":
            raise ApiError(422, "validation_failed", "the request has invalid fields", [{
                "field": "action", "type": "action_for_kind",
                "message": "only an appeal is upheld or reinstated; approve or reject this item"}])
        return appeals.ACTIONS[action]
    return action


async def decide_one(conn: Connection, site_id: str, kind: str, target: int, action: str, reason: str,
                     revision: int | None, moderator_name: str, ban: bool,
                     reason_code: str | None) -> review.Outcome:
    """A decision on one item; on an appeal, with what it does to the appealed comment."""
    if kind == "appeal":
        return await appeals.decide(conn, site_id, target, action, reason, revision,
                                    moderator_name)
    return await review.decide(conn, site_id, kind, target, action, reason, revision,
                               moderator_name, ban, reason_code)


def known_reason(site, code: str | None) -> str | None:
    """A rejection's reason code, which must be one of the site's; None when none was picked."""
    if code is not None and code not in {r.code for r in site.settings.rejection_reasons}:
        raise ApiError(422, "validation_failed", "the request has invalid fields", [{
            "field": "reason_code", "type": "unknown_reason",
            "message": "one of " + ", ".join(r.code for r in site.settings.rejection_reasons)}])
    return code


@endpoint("POST", "/v1/sites/{site}/queue/decisions",
          "Decide many items at once, or every open item of one commenter", "moderator",
          request=BulkDecision, responses={200: BulkOutcome}, errors=(400, 401, 404, 415, 422))
async def decide_many(request: web.Request) -> web.Response:
    site = await find_site(request)
    body = await parse_body(request, BulkDecision)
    reason_code = known_reason(site, body.reason_code) if body.action == "reject" else None
    targets: list[tuple[str, int, int | None]] = [(i.kind, int(i.id), i.revision)
                                                   for i in body.items]
    results = []
    async with request.app[POOL].acquire() as conn:
        if body.commenter:
            # Their items, not their appeals: rejecting those would uphold what they contest.
            for kind in (k for k in KINDS if k != "appeal"):
                targets += [(kind, found, None)
                            for found in await review.items_of(conn, site.site_id, kind, body.commenter)]
        for kind, target, revision in targets:
            try:
                async with conn.transaction():
                    outcome = await decide_one(conn, site.site_id, kind, target, body.action,
                                               body.reason, revision, moderator(request),
                                               body.ban_commenter and not body.commenter,
                                               reason_code)
                results.append(outcome.as_json())
            except ApiError as exc:  # one stale or missing item does not stop the others
                results.append({"kind": kind, "id": str(target),
                                "error": {"code": exc.code, "message": exc.message,
                                          "details": exc.details}})
        if body.ban_commenter and body.commenter:
            async with conn.transaction():
                await commenters.ban(conn, site.site_id, body.commenter, None,
                                     body.reason or "banned by a moderator", moderator(request))
    return json_response({"results": results})


@endpoint("POST", "/v1/sites/{site}/comments/{id}/reports", "Report a published comment",
          "public", request=ReportIn, responses={202: ReportAccepted},
          errors=(400, 401, 404, 415, 422, 429))
async def report_comment(request: web.Request) -> web.Response:
    site = await find_site(request)
    target = item_id(request)
    body = await parse_body(request, ReportIn)
    ip_hash = await count_public_write(request, site, "report")
    # An anonymous reader is their IP: a fingerprint of their own choosing would let one person
    # count as many and unpublish any comment alone.
    reporter = resolve_rater(request.app[SIGNER], site, None, body.sso_token, ip_hash, request.app[CLOCK]())
    async with request.app[POOL].acquire() as conn:
        await reports.report(conn, site.site_id, target, reporter.key, body.reason, body.note,
                             site.settings.report_threshold)
    return json_response({"status": "received"}, status=202)


COMMENTER_PATH = "/v1/sites/{site}/commenters/{commenter}"


@endpoint("GET", COMMENTER_PATH, "A commenter's history, counts per status, trust and ban",
          "moderator", errors=(401, 404))
async def commenter_profile(request: web.Request) -> web.Response:
    site = await find_site(request)
    async with request.app[POOL].acquire() as conn:
        return json_response(await commenters.profile(conn, site.site_id,
                                                      request.match_info["commenter"],
                                                      trusted_after(site.settings)))


@endpoint("POST", COMMENTER_PATH + "/ban", "Ban a commenter, for a time or for good", "moderator",
          request=BanIn, errors=(401, 404, 415, 422))
async def ban_commenter(request: web.Request) -> web.Response:
    site = await find_site(request)
    body = await parse_body(request, BanIn)
    person = request.match_info["commenter"]
    until = (request.app[CLOCK]() + timedelta(seconds=body.duration_s)) if body.duration_s else None
    async with request.app[POOL].acquire() as conn, conn.transaction():
        await commenters.ban(conn, site.site_id, person, until, body.reason or "banned by a moderator",
                             moderator(request))
        return json_response(await commenters.profile(conn, site.site_id, person,
                                                      trusted_after(site.settings)))


@endpoint("DELETE", COMMENTER_PATH + "/ban", "Lift a commenter's ban", "moderator",
          errors=(401, 404))
async def unban_commenter(request: web.Request) -> web.Response:
    site = await find_site(request)
    person = request.match_info["commenter"]
    async with request.app[POOL].acquire() as conn, conn.transaction():
        if not await commenters.unban(conn, site.site_id, person, moderator(request)):
            raise not_found("commenter")
        return json_response(await commenters.profile(conn, site.site_id, person,
                                                      trusted_after(site.settings)))


@endpoint("GET", COMMENTER_PATH + "/export", "Everything stored about a person (privacy export)",
          "admin", errors=(401, 403, 404))
async def export_commenter(request: web.Request) -> web.Response:
    site = await find_site(request)
    async with request.app[POOL].acquire() as conn:
        return json_response(await commenters.export(conn, site.site_id,
                                                     request.match_info["commenter"]))


@endpoint("DELETE", COMMENTER_PATH, "Erase a person's data, comments and ratings", "admin",
          errors=(401, 403, 404))
async def erase_commenter(request: web.Request) -> web.Response:
    site = await find_site(request)
    async with request.app[POOL].acquire() as conn:
        erased = await commenters.erase(conn, site.site_id, request.match_info["commenter"],
                                        moderator(request))
    return json_response({"erased": erased})


@endpoint("GET", "/v1/sites/{site}/audit", "Every decision by a rule or a person, newest first",
          "moderator", query=AuditQuery, responses={200: AuditPage}, errors=(400, 401, 404, 422))
async def audit_log(request: web.Request) -> web.Response:
    site = await find_site(request)
    query = parse_query(request, AuditQuery)
    before = None
    if query.cursor:
        payload = request.app[SIGNER].open_cursor(query.cursor)
        if not payload or not payload.startswith("audit|"):
            raise ApiError(400, "invalid_cursor", "the cursor is not one this listing gave out")
        before = int(payload.split("|")[1])
    async with request.app[POOL].acquire() as conn:
        rows = await desk.audit_page(conn, site.site_id, before, query.limit, query.actor,
                                     query.action, query.kind, query.since, query.until)
    items = [{"id": str(r["audit_id"]), "kind": r["kind"],
              "item_id": str(r["item_id"]) if r["item_id"] is not None else None,
              "commenter": r["commenter"], "actor": r["actor"], "action": r["action"],
              "from_status": r["from_status"], "to_status": r["to_status"], "reason": r["reason"],
              "reason_code": r["reason_code"], "created_at": r["created_at"]} for r in rows]
    next_cursor = request.app[SIGNER].sign_cursor(f"audit|{rows[-1]['audit_id']}") \
        if len(rows) == query.limit else None
    return json_response({"items": items, "next_cursor": next_cursor})


@endpoint("GET", "/v1/sites/{site}/rules/stats",
          "How often each rule held or rejected and moderators overturned it (over `days`)",
          "moderator", query=StatsQuery, responses={200: RuleStats}, errors=(401, 404, 422))
async def rules_stats(request: web.Request) -> web.Response:
    site = await find_site(request)
    query = parse_query(request, StatsQuery)
    async with request.app[POOL].acquire() as conn:
        stats = await review.rule_stats(conn, site.site_id, query.days)
        activity = await desk.rule_activity(conn, site.site_id, query.days)
    return json_response({"days": query.days, "rules": stats, "activity": activity,
                          "claim_s": CLAIM_SECONDS,
                          "rejection_reasons": [r.model_dump() for r in
                                                site.settings.rejection_reasons],
                          "rule_names": {kind: [r.name for r in rules_for(kind)]
                                         for kind in KINDS}})
