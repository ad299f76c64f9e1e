"""Statements of reasons and appeals: what a reader is told about their rejected comment, their
one appeal, and a moderator's decision on it.

An appeal is a review item of its own, shaped like the item kinds of the queue (`AppealKind`
below has the registry's names: table, id column, current state, settled, applying a
moderator's decision, the queue's fields), so it can join moderation.queue.kinds as a kind.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncpg

from moderation.appeals.reasons import RejectionReason, policy_of_rules, statement
from moderation.errors import ApiError, not_found
from moderation.review import learned_spam
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


async def last_rejection(conn, site_id: str, comment_id: int, version: int) -> Rejection:
    row = await conn.fetchrow(LAST_REJECTION, site_id, comment_id)
    actor = row["actor"] if row else "rules"
    if actor.startswith("moderator:"):
        return Rejection(actor, row["reason_code"] or "other")
    verdicts = await conn.fetch(REJECTING_VERDICTS, site_id, comment_id, version)
    return Rejection(actor, policy_of_rules([dict(v) for v in verdicts]))


async def reader_view(conn, site_id: str, reasons: list[RejectionReason],
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
        "id": str(appeal["appeal_id"]), "status": appeal["status"],
        "created_at": appeal["created_at"], "decided_at": appeal["decided_at"]}}


LOCK_COMMENT = """
SELECT comment_id, status, version, commenter FROM comments
 WHERE site_id = $1 AND comment_id = $2 FOR UPDATE"""

INSERT_APPEAL = """
INSERT INTO appeals (site_id, comment_id, note, rejected_by) VALUES ($1, $2, $3, $4)
ON CONFLICT (site_id, comment_id) DO NOTHING
RETURNING appeal_id, status, created_at"""

AUDIT_APPEAL = """
INSERT INTO audit (site_id, kind, item_id, commenter, actor, action, from_status, to_status,
                   reason, reason_code)
VALUES ($1, 'appeal', $2, $3, $4, $5, $6, $7, $8, $9)"""


async def file_appeal(conn, site_id: str, comment_id: int, note: str,
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
    appeal = await conn.fetchrow(INSERT_APPEAL, site_id, comment_id, note, rejection.actor)
    if appeal is None:
        raise ApiError(409, "already_appealed", "this comment has been appealed already; "
                       "each comment can be appealed once")
    # The note stays with the appeal (erased with the comment), not in the audit.
    await conn.execute(AUDIT_APPEAL, site_id, appeal["appeal_id"], comment["commenter"],
                       "commenter", "appeal", None, "open", "", rejection.reason_code)
    return appeal


# The queue's statuses for appeals: waiting is "held", the outcomes are the comment's.
STATUS_FOR_QUEUE = {"held": "open", "approved": "reinstated", "rejected": "upheld",
                    "pending": "none"}

LIST_APPEALS = """
SELECT a.appeal_id, a.comment_id, a.note, a.status AS appeal_status, a.rejected_by,
       a.revision AS appeal_revision, a.created_at AS appealed_at,
       c.comment_id AS id, c.thread, c.parent_id, c.author_name, c.commenter AS person, c.body,
       c.verified, c.status, c.version, c.revision, 0::real AS priority, c.created_at,
       NULL::text AS claimed_by
  FROM appeals a
  JOIN comments c ON c.site_id = a.site_id AND c.comment_id = a.comment_id
 WHERE a.site_id = $1 AND a.status = $2
   AND ($4::timestamptz IS NULL OR (a.created_at, a.appeal_id) > ($4, $5::bigint))
 ORDER BY a.created_at, a.appeal_id
 LIMIT $3"""


class AppealKind:
    """Appeals as a kind of review item (the shape of moderation.queue.kinds' ItemKind)."""

    name = "appeal"
    table = "appeals"
    id_column = "appeal_id"
    person_column = "commenter"  # of the appealed comment
    current = """
SELECT a.status, a.revision, a.comment_id, a.rejected_by, c.commenter AS person, c.body,
       c.status AS comment_status
  FROM appeals a JOIN comments c ON c.site_id = a.site_id AND c.comment_id = a.comment_id
 WHERE a.site_id = $1 AND a.appeal_id = $2"""
    targets = {"uphold": "upheld", "reinstate": "reinstated"}

    def settled(self, status: str, target: str) -> bool:
        return status == target

    async def list_items(self, conn, site_id: str, status: str, limit: int,
                         after: tuple[Any, int] | None, trust_after: int) -> list[dict]:
        """Appeals in the queue's shape: the appealed comment with its rules' verdicts and its
        commenter's summary, and the appeal itself."""
        rows = await conn.fetch(LIST_APPEALS, site_id, STATUS_FOR_QUEUE[status], limit,
                                *(after or (None, None)))
        if not rows:
            return []
        verdicts = await conn.fetch(review.VERDICTS_OF, site_id, "comment",
                                    [r["id"] for r in rows], [r["version"] for r in rows])
        people = sorted({r["person"] for r in rows})
        summary = await conn.fetch(review.PEOPLE_SUMMARY, site_id, "comment", people)
        bans = {b["commenter"]: b["banned_until"]
                for b in await conn.fetch(review.BANS_OF, site_id, people)}
        return [self.queue_fields(row, review.queue_item("comment", row, verdicts, [], summary,
                                                         bans, trust_after)) for row in rows]

    def queue_fields(self, row: asyncpg.Record, comment_item: dict) -> dict[str, Any]:
        return {**comment_item, "kind": self.name, "id": str(row["appeal_id"]),
                "status": row["appeal_status"], "revision": row["appeal_revision"],
                "created_at": row["appealed_at"],
                "appeal": {"comment_id": str(row["comment_id"]), "note": row["note"],
                           "rejected_by": row["rejected_by"],
                           "comment_status": row["status"]}}

    async def decide(self, conn, site_id: str, appeal_id: int, action: str, reason: str,
                     revision: int | None, moderator: str, moderators: int) -> review.Outcome:
        """A moderator's decision on an appeal, inside the caller's transaction: `reinstate`
        publishes the comment (as an approval would, teaching the spam model), `uphold` keeps
        it rejected (a person confirming the rules teaches the model too)."""
        target = self.targets[action]
        row = await conn.fetchrow(self.current + " FOR UPDATE OF a", site_id, appeal_id)
        if row is None or row["comment_status"] == "deleted":
            raise not_found("appeal")
        if self.settled(row["status"], target):
            return review.Outcome(self.name, appeal_id, row["status"], row["revision"], False)
        if row["status"] != "open" or (revision is not None and revision != row["revision"]):
            raise ApiError(409, "stale_decision", "this appeal changed since you saw it",
                           [{"status": row["status"], "revision": row["revision"]}])
        if row["rejected_by"] == moderator and moderators > 1:
            raise ApiError(403, "another_moderator",
                           "you rejected this comment: another moderator decides its appeal")
        comment_id = row["comment_id"]
        if action == "reinstate":
            await review.decide(conn, site_id, "comment", comment_id, "approve", reason, None,
                                moderator)
        else:
            if not await conn.fetchval(review.MODERATED, site_id, comment_id):
                await learned_spam.train(conn, site_id, row["body"], is_spam=True)
            await conn.execute(review.AUDIT_DECISION, site_id, "comment", comment_id, moderator,
                               "uphold", "rejected", "rejected", reason, None)
        await conn.execute(DECIDE_APPEAL, site_id, appeal_id, target, moderator)
        await conn.execute(AUDIT_APPEAL, site_id, appeal_id, row["person"], moderator, action,
                           "open", target, reason, None)
        return review.Outcome(self.name, appeal_id, target, row["revision"] + 1, True)


DECIDE_APPEAL = """
UPDATE appeals SET status = $3, decided_by = $4, decided_at = now(), revision = revision + 1
 WHERE site_id = $1 AND appeal_id = $2"""

APPEAL = AppealKind()

ACTIVE_MODERATORS = """
SELECT count(*) FROM tokens WHERE site_id = $1 AND revoked_at IS NULL"""


async def moderators_of(conn, site_id: str) -> int:
    """How many people hold a token of the site (moderators and admins both decide)."""
    return await conn.fetchval(ACTIVE_MODERATORS, site_id)
