"""Rows with a history for the fact loaders: comments at chosen times, from chosen people."""

from __future__ import annotations

from datetime import datetime

from moderation.rules.base import Item
from moderation.text.fingerprint import text_hash

INSERT = """
WITH t AS (INSERT INTO threads (site_id, thread) VALUES ($1, $2) ON CONFLICT DO NOTHING),
m AS (INSERT INTO commenters (site_id, commenter, name) VALUES ($1, $3, 'Someone')
      ON CONFLICT DO NOTHING)
INSERT INTO comments (site_id, thread, commenter, author_name, body, ip_hash, created_at,
                      status, text_hash)
VALUES ($1, $2, $3, 'Someone', $4, $5, $6, $7, $8)
RETURNING comment_id"""


async def add_comment(conn, site: str, body: str, at: datetime, *, thread: str = "t1",
                      commenter: str = "anon:a", ip_hash: bytes | None = b"ip-a",
                      status: str = "approved") -> Item:
    comment_id = await conn.fetchval(INSERT, site, thread, commenter, body, ip_hash, at, status,
                                     text_hash(body))
    return Item(kind="comment", site_id=site, item_id=comment_id, version=1, created_at=at,
                commenter=commenter, ip_hash=ip_hash, thread=thread, body=body)
