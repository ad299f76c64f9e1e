"""Comments as a kind of item: read by the claim, decided by the rules in one statement
(moderation.comments.store.APPLY_DECISIONS), and taught to the site's spam classifier by
moderators."""

from __future__ import annotations

from typing import Any

import asyncpg

from moderation.comments import store as comments
from moderation.db.pool import Connection
from moderation.judging.pipeline import Judgement
from moderation.review import learned_spam
from moderation.review.audit import MODERATED

DECIDE = """
UPDATE comments SET status = $3, revision = revision + 1, decided_at = now()
 WHERE site_id = $1 AND comment_id = $2"""

REPORTS_OF = """
SELECT comment_id, reason, note, created_at FROM reports
 WHERE site_id = $1 AND comment_id = ANY($2::bigint[]) ORDER BY created_at"""


class CommentKind:
    name = "comment"
    table = "comments"
    id_column = "comment_id"
    person_column = "commenter"
    address_column: str | None = "ip_hash"
    in_profile = True
    claim_columns = """x.created_at, x.commenter AS person, x.ip_hash, x.verified, x.thread,
             x.parent_id, x.body, x.signals, x.text_hash, NULL::text AS author,
             NULL::smallint AS score"""
    review_columns = """i.comment_id AS id, i.thread, i.parent_id, i.author_name, i.commenter AS person,
                  i.body, NULL::smallint AS score, NULL AS author, i.verified"""
    current = ("SELECT status, revision, commenter AS person, body FROM comments "
               "WHERE site_id = $1 AND comment_id = $2")

    async def apply_rules(self, conn: Connection, jobs: list[asyncpg.Record],
                          judged: dict[int, Judgement]) -> tuple[int, list[Judgement]]:
        return await comments.apply_decisions(conn, jobs, judged)

    async def lock_for_decision(self, conn: Connection, site_id: str) -> None:
        pass

    def settled(self, status: str, target: str) -> bool:
        return status == target

    async def apply_moderator(self, conn: Connection, site_id: str, item_id: int,
                              before: asyncpg.Record, target: str) -> str:
        await conn.execute(DECIDE, site_id, item_id, target)
        if before["status"] in ("approved", "rejected") and \
                await conn.fetchval(MODERATED, site_id, self.name, item_id):
            # A moderator reversing a moderator: the classifier forgets the first lesson.
            await learned_spam.untrain(conn, site_id, before["body"],
                                       is_spam=before["status"] == "rejected")
        await learned_spam.train(conn, site_id, before["body"], is_spam=target == "rejected")
        return target

    async def reports_of(self, conn: Connection, site_id: str,
                         ids: list[int]) -> list[asyncpg.Record]:
        return await conn.fetch(REPORTS_OF, site_id, ids)

    def queue_fields(self, row: asyncpg.Record, reports: list[asyncpg.Record]) -> dict[str, Any]:
        return {"thread": row["thread"],
                "parent_id": str(row["parent_id"]) if row["parent_id"] else None,
                "author_name": row["author_name"], "body": row["body"],
                "reports": [{"reason": r["reason"], "note": r["note"],
                             "created_at": r["created_at"]}
                            for r in reports if r["comment_id"] == row["id"]]}


COMMENT = CommentKind()
