"""Appeals as a kind of item: a reader contesting the rejection of their comment, decided by a
moderator in the queue's words (approve: the comment is reinstated; reject: the rejection is
upheld). No rule judges an appeal; what a decision does to the comment itself is the appeals
service's (moderation.appeals.store.decide), in the same transaction."""

from __future__ import annotations

from typing import Any

import asyncpg

from moderation.db.pool import Connection
from moderation.judging.pipeline import Judgement
from moderation.queue.kinds.comment import COMMENT

# What the author is told of their appeal, for its status in the queue's words.
OUTCOME = {"held": "open", "approved": "reinstated", "rejected": "upheld"}

# The appealed comment's columns, read beside the appeal (alias i) for the review listing.
COMMENT_COLUMN = ("(SELECT c.{column} FROM comments c WHERE c.site_id = i.site_id "
                  "AND c.comment_id = i.comment_id) AS {alias}")


def comment_columns(*pairs: tuple[str, str]) -> str:
    return ", ".join(COMMENT_COLUMN.format(column=column, alias=alias) for column, alias in pairs)


DECIDE = """
UPDATE appeals SET status = $3, revision = revision + 1, decided_at = now()
 WHERE site_id = $1 AND appeal_id = $2"""

REPORTS_OF = """
SELECT a.appeal_id AS comment_id, r.reason, r.note, r.created_at
  FROM appeals a JOIN reports r ON r.site_id = a.site_id AND r.comment_id = a.comment_id
 WHERE a.site_id = $1 AND a.appeal_id = ANY($2::bigint[]) ORDER BY r.created_at"""


class AppealKind:
    name = "appeal"
    table = "appeals"
    id_column = "appeal_id"
    person_column = "commenter"
    address_column: str | None = None
    # An appeal is about a comment its author's profile counts already.
    in_profile = False
    # No rule judges an appeal, so no job names one and the claim leaves it out
    # (moderation.queue.kinds.CLAIM); the columns are what the protocol asks, typed.
    claim_columns = """x.created_at, x.commenter AS person, NULL::bytea AS ip_hash, false AS verified,
             NULL::text AS thread, NULL::bigint AS parent_id, ''::text AS body, NULL::jsonb AS signals,
             NULL::bigint AS text_hash, NULL::text AS author, NULL::smallint AS score"""
    review_columns = ("i.appeal_id AS id, i.commenter AS person, NULL::smallint AS score, "
                      "NULL AS author, i.note, i.comment_id, i.rejected_by, " + comment_columns(
                          ("thread", "thread"), ("parent_id", "parent_id"),
                          ("author_name", "author_name"), ("body", "body"),
                          ("verified", "verified"), ("status", "comment_status"),
                          ("version", "comment_version")))
    current = ("SELECT status, revision, commenter AS person, comment_id, rejected_by FROM appeals "
               "WHERE site_id = $1 AND appeal_id = $2")

    async def apply_rules(self, conn: Connection, jobs: list[asyncpg.Record],
                          judged: dict[int, Judgement]) -> tuple[int, list[Judgement]]:
        raise RuntimeError("appeals are decided by moderators; no rule job names one")

    async def lock_for_decision(self, conn: Connection, site_id: str) -> None:
        pass  # the appeal's row first, then its comment's (moderation.appeals.store.decide)

    def settled(self, status: str, target: str) -> bool:
        return status == target

    async def apply_moderator(self, conn: Connection, site_id: str, item_id: int,
                              before: asyncpg.Record, target: str) -> str:
        await conn.execute(DECIDE, site_id, item_id, target)
        return target

    async def reports_of(self, conn: Connection, site_id: str,
                         ids: list[int]) -> list[asyncpg.Record]:
        """The reports of the appealed comments, under their appeals' ids."""
        return await conn.fetch(REPORTS_OF, site_id, ids)

    def queue_fields(self, row: asyncpg.Record, reports: list[asyncpg.Record]) -> dict[str, Any]:
        # What a moderator sees of the appealed comment is what they see of any comment.
        return {**COMMENT.queue_fields(row, reports),
                "appeal": {"comment_id": str(row["comment_id"]), "note": row["note"],
                           "rejected_by": row["rejected_by"],
                           "comment_status": row["comment_status"],
                           "comment_version": row["comment_version"]}}


APPEAL = AppealKind()
