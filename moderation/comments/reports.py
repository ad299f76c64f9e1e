"""Reader reports: one per reader and comment; enough distinct reporters send it back to review."""

from __future__ import annotations

from moderation.db.pool import Connection
from moderation.errors import not_found
from moderation.review.audit import INSERT_AUDIT

# Stores the report (once per reporter), then, in the same statement, sends an approved comment
# back to 'held' when the distinct reporters reach the threshold. Each report raises its priority.
REPORT = f"""
WITH target AS (
    SELECT comment_id FROM comments WHERE site_id = $1 AND comment_id = $2 AND status = 'approved'
), stored AS (
    INSERT INTO reports (site_id, comment_id, reporter, reason, note)
    SELECT $1, comment_id, $3, $4, $5 FROM target
    ON CONFLICT (site_id, comment_id, reporter) DO NOTHING
    RETURNING comment_id
), tally AS (
    -- Reports from before the comment's last decision were answered by it: they do not count.
    SELECT count(*) + (SELECT count(*) FROM stored) AS reporters
      FROM reports r JOIN comments c USING (site_id, comment_id)
     WHERE r.site_id = $1 AND r.comment_id = $2
       AND r.created_at > coalesce(c.decided_at, '-infinity')
), held AS (
    UPDATE comments SET status = 'held', revision = revision + 1,
                        priority = priority + (SELECT count(*) FROM stored)
     WHERE site_id = $1 AND comment_id IN (SELECT comment_id FROM stored)
       AND (SELECT reporters FROM tally) >= $6
    RETURNING comment_id
), bumped AS (
    UPDATE comments SET priority = priority + 1
     WHERE site_id = $1 AND comment_id IN (SELECT comment_id FROM stored)
       AND (SELECT reporters FROM tally) < $6
), audit AS (
    {INSERT_AUDIT}
    SELECT $1, 'comment', comment_id, 'readers', 'report', 'approved', 'held', 'reported'
      FROM held
)
SELECT (SELECT count(*) FROM target) AS found, (SELECT count(*) FROM stored) AS new,
       (SELECT count(*) FROM held) AS held"""


LOCK_COMMENT = "SELECT FROM comments WHERE site_id = $1 AND comment_id = $2 FOR UPDATE"


async def report(conn: Connection, site_id: str, comment_id: int, reporter: str, reason: str,
                 note: str | None, threshold: int) -> bool:
    """Returns whether this report sent the comment back to review; 404 unless it is public."""
    async with conn.transaction():
        # Concurrent reports queue up on the comment's row, so each one counts the others.
        await conn.execute(LOCK_COMMENT, site_id, comment_id)
        row = await conn.fetchrow(REPORT, site_id, comment_id, reporter, reason, note, threshold)
    assert row is not None  # a row of counts, always
    if not row["found"]:
        raise not_found("comment")
    return bool(row["held"])
