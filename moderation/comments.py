"""Comments: accepting, reading, editing and deleting them, and the SQL that does it.

Accepting a comment is one statement: thread and commenter created on first sight, the comment
and its rule job inserted together, so the 202 means both are committed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from moderation.errors import ApiError, not_found
from moderation.fingerprint import text_hash
from moderation.rules.base import Item

INSERT_COMMENT = """
WITH new_thread AS (
    INSERT INTO threads (site_id, thread, url, title) VALUES ($1, $2, $3, $4)
    ON CONFLICT (site_id, thread) DO NOTHING
), new_commenter AS (
    INSERT INTO commenters (site_id, commenter, name, email, verified) VALUES ($1, $5, $6, $7, $8)
    ON CONFLICT (site_id, commenter) DO NOTHING
), parent AS (
    SELECT coalesce(root_id, comment_id) AS root_id FROM comments
     WHERE site_id = $1 AND comment_id = $9 AND thread = $2 AND status <> 'deleted'
), comment AS (
    INSERT INTO comments (site_id, thread, parent_id, root_id, commenter, author_name, verified,
                          body, ip_hash, signals, idempotency_key, text_hash)
    SELECT $1, $2, $9, (SELECT root_id FROM parent), $5, $6, $8, $10, $11, $12, $13, $14
     WHERE $9::bigint IS NULL OR EXISTS (SELECT FROM parent)
    ON CONFLICT (site_id, commenter, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
    RETURNING site_id, comment_id, version, created_at
), job AS (
    INSERT INTO jobs (site_id, kind, item_id, item_version)
    SELECT site_id, 'comment', comment_id, version FROM comment
)
SELECT comment_id, created_at FROM comment"""

# What an Idempotency-Key already stands for, to answer a retry with the same comment.
SELECT_BY_IDEMPOTENCY_KEY = """
SELECT comment_id, created_at, thread, body, parent_id FROM comments
 WHERE site_id = $1 AND commenter = $2 AND idempotency_key = $3"""

SELECT_COMMENT = """
SELECT comment_id, thread, parent_id, author_name, verified, body, status, created_at, edited_at,
       version
  FROM comments WHERE site_id = $1 AND comment_id = $2"""

# A new version goes back through the rules; a job still running on the old version finds the
# version changed and applies nothing.
EDIT_COMMENT = """
WITH edited AS (
    UPDATE comments SET body = $3, version = version + 1, revision = revision + 1,
                        status = 'pending', edited_at = now(),
                        decided_at = NULL, text_hash = $5
     WHERE site_id = $1 AND comment_id = $2 AND status <> 'deleted'
    RETURNING site_id, comment_id, version, status
), job AS (
    INSERT INTO jobs (site_id, kind, item_id, item_version)
    SELECT site_id, 'comment', comment_id, version FROM edited
), audit AS (
    INSERT INTO audit (site_id, kind, item_id, actor, action, from_status, to_status, reason)
    SELECT site_id, 'comment', comment_id, 'commenter', 'edit', $4, 'pending', '' FROM edited
)
SELECT comment_id FROM edited"""

DELETE_COMMENT = """
WITH deleted AS (
    UPDATE comments SET status = 'deleted', body = '', author_name = '', ip_hash = NULL,
                        signals = NULL, text_hash = NULL, decided_at = now()
     WHERE site_id = $1 AND comment_id = $2 AND status <> 'deleted'
    RETURNING site_id, comment_id
), audit AS (
    INSERT INTO audit (site_id, kind, item_id, actor, action, from_status, to_status, reason)
    SELECT site_id, 'comment', comment_id, 'commenter', 'delete', $3, 'deleted', '' FROM deleted
)
SELECT comment_id FROM deleted"""

PAGE_COLUMNS = "comment_id, parent_id, root_id, author_name, verified, body, created_at, edited_at"
REPLY_COLUMNS = ", ".join(f"r.{c}" for c in PAGE_COLUMNS.split(", "))
PAGE_TEMPLATE = f"""
WITH page AS (
    SELECT {PAGE_COLUMNS} FROM comments
     WHERE site_id = $1 AND thread = $2 AND status = 'approved' AND parent_id IS NULL {{after}}
     ORDER BY created_at {{direction}}, comment_id {{direction}} LIMIT $3
), rows AS (
    SELECT false AS is_reply, * FROM page
    UNION ALL
    SELECT true, {REPLY_COLUMNS} FROM comments r
     WHERE r.site_id = $1 AND r.status = 'approved'
       AND r.root_id = ANY (ARRAY (SELECT comment_id FROM page))  -- one index scan, never the site
)
SELECT rows.*, (SELECT approved_count FROM threads WHERE site_id = $1 AND thread = $2) AS total
  FROM rows ORDER BY is_reply, created_at {{direction}}, comment_id {{direction}}"""


def page_query(sort: str, after_cursor: bool) -> str:
    direction, compare = ("ASC", ">") if sort == "oldest" else ("DESC", "<")
    after = f"AND (created_at, comment_id) {compare} ($4, $5)" if after_cursor else ""
    return PAGE_TEMPLATE.format(after=after, direction=direction)


PAGE_QUERIES = {(sort, after): page_query(sort, after)
                for sort in ("oldest", "newest") for after in (False, True)}

SELECT_TOTAL = "SELECT approved_count FROM threads WHERE site_id = $1 AND thread = $2"
SELECT_COUNTS = """
SELECT thread, approved_count FROM threads WHERE site_id = $1 AND thread = ANY($2::text[])"""

# The rule workers' side: load pending comments for a claimed batch, apply their decisions.
LOAD_FOR_RULES = """
SELECT c.site_id, c.comment_id, c.version, c.created_at, c.commenter, c.ip_hash, c.thread,
       c.parent_id, c.body, c.signals, c.verified
  FROM unnest($1::text[], $2::bigint[], $3::int[]) AS j(site_id, comment_id, version)
  JOIN comments c ON c.site_id = j.site_id AND c.comment_id = j.comment_id
                 AND c.version = j.version AND c.status = 'pending'"""

APPLY_DECISIONS = """
UPDATE comments c SET status = d.status, revision = c.revision + 1, decided_at = now()
  FROM unnest($1::text[], $2::bigint[], $3::int[], $4::text[]) AS d(site_id, comment_id, version, status)
 WHERE c.site_id = d.site_id AND c.comment_id = d.comment_id AND c.version = d.version
   AND c.status = 'pending'
RETURNING c.site_id, c.comment_id, c.version, c.status"""


@dataclass(frozen=True, slots=True)
class NewComment:
    site_id: str
    thread: str
    thread_url: str | None
    thread_title: str | None
    commenter: str
    name: str
    email: str | None
    verified: bool
    parent_id: int | None
    body: str
    ip_hash: bytes | None
    signals: dict[str, Any] | None
    idempotency_key: str | None


async def accept(conn, new: NewComment) -> tuple[int, datetime]:
    """Stores the comment with its rule job; returns (id, created_at). Retries return the original."""
    row = await conn.fetchrow(
        INSERT_COMMENT, new.site_id, new.thread, new.thread_url, new.thread_title, new.commenter,
        new.name, new.email, new.verified, new.parent_id, new.body, new.ip_hash, new.signals,
        new.idempotency_key, text_hash(new.body))
    if row is not None:
        return row["comment_id"], row["created_at"]
    if new.idempotency_key is not None:
        earlier = await conn.fetchrow(SELECT_BY_IDEMPOTENCY_KEY, new.site_id, new.commenter,
                                      new.idempotency_key)
        if earlier is not None:
            if (earlier["thread"], earlier["body"], earlier["parent_id"]) != \
                    (new.thread, new.body, new.parent_id):
                raise ApiError(409, "idempotency_key_reused",
                               "this Idempotency-Key was already used for a different comment")
            return earlier["comment_id"], earlier["created_at"]
    raise ApiError(422, "validation_failed", "the request has invalid fields",
                   [{"field": "parent_id", "message": "no such comment in this thread",
                     "type": "unknown_parent"}])


async def fetch(conn, site_id: str, comment_id: int) -> asyncpg.Record | None:
    return await conn.fetchrow(SELECT_COMMENT, site_id, comment_id)


async def edit(pool, site_id: str, comment_id: int, body: str, edit_window_s: int,
               now: datetime) -> None:
    async with pool.acquire() as conn, conn.transaction():
        current = await conn.fetchrow(SELECT_COMMENT + " FOR UPDATE", site_id, comment_id)
        if current is None or current["status"] == "deleted":
            raise not_found("comment")
        if current["status"] == "rejected":
            # Otherwise an edit would send a rejected comment back through the rules.
            raise ApiError(409, "comment_rejected", "a rejected comment cannot be edited")
        if now - current["created_at"] > timedelta(seconds=edit_window_s):
            raise ApiError(403, "edit_window_closed",
                           f"comments can be edited for {edit_window_s} seconds after posting")
        await conn.execute(EDIT_COMMENT, site_id, comment_id, body, current["status"],
                           text_hash(body))


async def delete(pool, site_id: str, comment_id: int) -> None:
    async with pool.acquire() as conn, conn.transaction():
        current = await conn.fetchrow(SELECT_COMMENT + " FOR UPDATE", site_id, comment_id)
        if current is None or current["status"] == "deleted":
            raise not_found("comment")
        await conn.execute(DELETE_COMMENT, site_id, comment_id, current["status"])


async def page(conn, site_id: str, thread: str, sort: str, limit: int,
               after: tuple[datetime, int] | None) -> tuple[list[asyncpg.Record], int]:
    """One page of top-level comments plus all their replies, and the thread's approved total."""
    query = PAGE_QUERIES[(sort, after is not None)]
    args = (site_id, thread, limit, *after) if after else (site_id, thread, limit)
    rows = await conn.fetch(query, *args)
    total = rows[0]["total"] if rows else await conn.fetchval(SELECT_TOTAL, site_id, thread)
    return rows, total or 0


async def counts(conn, site_id: str, threads: list[str]) -> dict[str, int]:
    found = {row["thread"]: row["approved_count"]
             for row in await conn.fetch(SELECT_COUNTS, site_id, threads)}
    return {thread: found.get(thread, 0) for thread in threads}


async def load_for_rules(conn, jobs: list[asyncpg.Record]) -> list[Item]:
    rows = await conn.fetch(LOAD_FOR_RULES, [j["site_id"] for j in jobs],
                            [j["item_id"] for j in jobs], [j["item_version"] for j in jobs])
    return [Item(kind="comment", site_id=r["site_id"], item_id=r["comment_id"],
                 version=r["version"], created_at=r["created_at"], commenter=r["commenter"],
                 ip_hash=r["ip_hash"], thread=r["thread"], parent_id=r["parent_id"],
                 body=r["body"], verified=r["verified"], signals=r["signals"] or {})
            for r in rows]


async def apply_decisions(conn, decisions: list[tuple[Item, str]]) -> list[tuple[Item, str]]:
    """Sets the decided status where the comment is still that pending version; returns those."""
    rows = await conn.fetch(APPLY_DECISIONS, [i.site_id for i, _ in decisions],
                            [i.item_id for i, _ in decisions], [i.version for i, _ in decisions],
                            [status for _, status in decisions])
    applied = {(r["site_id"], r["comment_id"], r["version"]) for r in rows}
    return [(item, status) for item, status in decisions
            if (item.site_id, item.item_id, item.version) in applied]
