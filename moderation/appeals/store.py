"""Statements of reasons and appeals: what a reader is told about their rejected comment, their
one appeal, and what a moderator's decision on the appeal does to the comment.

An appeal is a review item of its own kind (moderation.queue.kinds.appeal): listed, claimed and
decided like any item; `decide` adds what it means for the comment, in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncpg

from moderation.appeals.reasons import RejectionReason, policy_of_rules, statement
from moderation.db.pool import Connection, ConnectionOrPool
from moderation.errors import ApiError, not_found
from moderation.queue.kinds.appeal import APPEAL, OUTCOME
from moderation.review import audit, learned_spam
from moderation.review import store as review

# Who rejected the comment last and why: the rules (policy from their verdicts) or a moderator
# (the reason they picked).
LAST_REJECTION = """
SELECT actor, reason_code FROM audit
 WHERE site_id = $1 AND kind = 'comment' AND item_id = $2 AND to_status = 'rejected'
 ORDER BY audit_id DESC LIMIT 1"""

REJECTING_VERDICTS = """
SELECT rule, action, details FROM verdicts
 WHERE site_id = $1 AND kind = 'comment' AND item_id = $2 AND item_version = $3
   AND action = 'reject'
 ORDER BY rule"""

APPEAL_OF_COMMENT = """
SELECT appeal_id, status, created_at, decided_at FROM appeals WHERE site_id = $1 AND comment_id = $2"""


@dataclass(frozen=True)
class Rejection:
    actor: str
    reason_code: str

    @property
    def automated(self) -> bool:
        return not self.actor.startswith("moderator:")


async def last_rejection(conn: ConnectionOrPool, site_id: str, comment_id: int, version: int) -> Rejection:
    row = await conn.fetchrow(LAST_REJECTION, site_id, comment_id)
    if row is not None and row["actor"].startswith("moderator:"):
        return Rejection(row["actor"], row["reason_code"] or "other")
    actor = row["actor"] if row is not None else "rules"
    verdicts = await conn.fetch(REJECTING_VERDICTS, site_id, comment_id, version)
    return Rejection(actor, policy_of_rules([dict(v) for v in verdicts]))


async def reader_view(conn: ConnectionOrPool, site_id: str, reasons: list[RejectionReason],
                      comment: asyncpg.Record) -> dict[str, Any]:
    """For the author of `comment` (a row with comment_id, status, version): the statement of
    reasons while it is rejected, and their appeal with its outcome."""
    appeal = await conn.fetchrow(APPEAL_OF_COMMENT, site_id, comment["comment_id"])
    decision = None
    if comment["status"] == "rejected":
        rejection = await last_rejection(conn, site_id, comment["comment_id"], comment["version"])
        decision = statement(reasons, rejection.reason_code, rejection.automated,
                             appealable=appeal is None)
    return {"decision": decision, "appeal": None if appeal is None else {
        "id": str(appeal["appeal_id"]), "status": OUTCOME[appeal["status"]],
        "created_at": appeal["created_at"], "decided_at": appeal["decided_at"]}}


LOCK_COMMENT = """
SELECT comment_id, status, version, commenter FROM comments
 WHERE site_id = $1 AND comment_id = $2 FOR UPDATE"""

INSERT_APPEAL = """
INSERT INTO appeals (site_id, comment_id, commenter, note, rejected_by) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (site_id, comment_id) DO NOTHING
RETURNING appeal_id, status, created_at"""


async def file_appeal(conn: Connection, site_id: str, comment_id: int, note: str,
                      commenter: str | None = None) -> asyncpg.Record:
    """The author's one appeal of a rejected comment, inside the caller's transaction; with
    `commenter` (an account), only that commenter's comment is theirs to appeal."""
    comment = await conn.fetchrow(LOCK_COMMENT, site_id, comment_id)
    if comment is None or comment["status"] == "deleted" or \
            (commenter is not None and comment["commenter"] != commenter):
        raise not_found("comment")
    if comment["status"] != "rejected":
        raise ApiError(409, "not_rejected", "only a rejected comment can be appealed",
                       [{"status": comment["status"]}])
    rejection = await last_rejection(conn, site_id, comment_id, comment["version"])
    appeal = await conn.fetchrow(INSERT_APPEAL, site_id, comment_id, comment["commenter"], note,
                                 rejection.actor)
    if appeal is None:
        raise ApiError(409, "already_appealed", "this comment has been appealed already; "
                       "each comment can be appealed once")
    # The note stays with the appeal (erased with the comment), not in the audit.
    await audit.record(conn, site_id, "appeal", appeal["appeal_id"], actor="commenter",
                       action="appeal", from_status=None, to_status="held", reason="",
                       reason_code=rejection.reason_code, commenter=comment["commenter"])
    return appeal


# The SPEC's words for a moderator's decision on an appeal, in the queue's.
ACTIONS = {"reinstate": "approve", "uphold": "reject"}


async def decide(conn: Connection, site_id: str, appeal_id: int, action: str, reason: str,
                 revision: int | None, moderator: str) -> review.Outcome:
    """A moderator's decision on an appeal, inside the caller's transaction: approving it
    reinstates the comment (published, and the spam model learns it, as any approval teaches
    it); rejecting it upholds the rejection (a person confirming the rules teaches the model
    too). Where the site has more than one moderator, not the one who rejected the comment."""
    row = await conn.fetchrow(APPEAL.current + " FOR UPDATE", site_id, appeal_id)
    if row is None:
        raise not_found("appeal")
    target = review.TARGET[action]
    if row["status"] != "held" and row["status"] != target:
        raise ApiError(409, "stale_decision", "this appeal has been decided already",
                       [{"status": row["status"], "revision": row["revision"]}])
    if row["status"] == "held" and row["rejected_by"] == moderator and \
            await moderators_of(conn, site_id) > 1:
        raise ApiError(403, "another_moderator",
                       "you rejected this comment: another moderator decides its appeal")
    outcome = await review.decide(conn, site_id, APPEAL.name, appeal_id, action, reason, revision,
                                  moderator)
    if not outcome.changed:
        return outcome
    comment_id = row["comment_id"]
    if action == "approve":
        await review.decide(conn, site_id, "comment", comment_id, "approve", reason, None,
                            moderator)
    else:
        body = await conn.fetchval(COMMENT_BODY, site_id, comment_id)
        if not await conn.fetchval(audit.MODERATED, site_id, "comment", comment_id):
            await learned_spam.train(conn, site_id, body, is_spam=True)
        await audit.record(conn, site_id, "comment", comment_id, actor=moderator, action="uphold",
                           from_status="rejected", to_status="rejected", reason=reason)
    return outcome


COMMENT_BODY = "SELECT body FROM comments WHERE site_id = $1 AND comment_id = $2"

ACTIVE_MODERATORS = """
SELECT count(*) FROM tokens WHERE site_id = $1 AND revoked_at IS NULL"""


async def moderators_of(conn: ConnectionOrPool, site_id: str) -> int:
    """How many people hold a token of the site (moderators and admins both decide)."""
    return await conn.fetchval(ACTIVE_MODERATORS, site_id)
