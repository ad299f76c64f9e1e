"""Ratings as a kind of item: every status change goes through
moderation.ratings.store.apply_statuses, which keeps the authors' aggregates exact."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import asyncpg

from moderation.db.pool import Connection
from moderation.judging.pipeline import Judgement
from moderation.queue import jobs as queue
from moderation.ratings import store as ratings
from moderation.review.audit import record_decisions

# A rating's status goes through ratings.apply_statuses (aggregates); only its revision here.
BUMP_REVISION = "UPDATE ratings SET revision = revision + 1 WHERE site_id = $1 AND rating_id = $2"


class RatingKind:
    name = "rating"
    table = "ratings"
    id_column = "rating_id"
    person_column = "rater"
    address_column: str | None = "ip_hash"
    in_profile = True
    claim_columns = """x.created_at, x.rater AS person, x.ip_hash, x.verified, NULL::text AS thread,
             NULL::bigint AS parent_id, ''::text AS body, NULL::jsonb AS signals,
             NULL::bigint AS text_hash, x.author, x.score"""
    review_columns = """i.rating_id AS id, NULL AS thread, NULL::bigint AS parent_id, NULL AS author_name,
                 i.rater AS person, NULL AS body, i.score, i.author, i.verified"""
    current = ("SELECT status, revision, rater AS person FROM ratings "
               "WHERE site_id = $1 AND rating_id = $2")

    async def apply_rules(self, conn: Connection, jobs: list[asyncpg.Record],
                          judged: dict[int, Judgement]) -> tuple[int, list[Judgement]]:
        """One transaction: a rating's status change takes its site's lock row first and retires
        a replaced rating in a statement of its own (ratings.store.apply_statuses)."""
        async with conn.transaction():
            owned = await queue.finish(conn, jobs)
            mine = [judged[job["job_id"]] for job in jobs
                    if (job["site_id"], job["job_id"]) in owned and job["job_id"] in judged]
            stored = await ratings.apply_decisions(conn, [(j.item, j.status) for j in mine])
            by_item = {(j.item.key, j.item.version): j for j in mine}
            applied = [replace(by_item[(item.key, item.version)], status=status)
                       for item, status in stored]
            await record_decisions(conn, applied, actor="rules")
            # Held ratings get a review priority: how sure the rules that held them were.
            await ratings.set_priorities(conn, [(j.item.site_id, j.item.item_id, j.priority)
                                                for j in applied if j.status == "held"])
        return len(owned), applied

    async def lock_for_decision(self, conn: Connection, site_id: str) -> None:
        # The workers lock the site's rating totals before ratings; the same order here.
        await conn.execute(ratings.LOCK_SITES, [site_id])

    def settled(self, status: str, target: str) -> bool:
        # An approval that lost to the rater's newer rating is stored as replaced.
        return status == target or (target == "approved" and status == "replaced")

    async def apply_moderator(self, conn: Connection, site_id: str, item_id: int,
                              before: asyncpg.Record, target: str) -> str:
        changed = await ratings.apply_statuses(
            conn, [ratings.StatusChange(site_id, item_id, target)])
        await conn.execute(BUMP_REVISION, site_id, item_id)
        return changed[0]["status"] if changed else target

    async def reports_of(self, conn: Connection, site_id: str,
                         ids: list[int]) -> list[asyncpg.Record]:
        return []  # readers report comments only

    def queue_fields(self, row: asyncpg.Record, reports: list[asyncpg.Record]) -> dict[str, Any]:
        return {"author": row["author"], "score": row["score"], "reports": []}


RATING = RatingKind()
