"""Featured comments ("Editors' picks"): moderators feature a published comment and unfeature it;
the first page of its thread lists it first (moderation.comments.store.PAGE_TEMPLATE)."""

from __future__ import annotations

from moderation.errors import ApiError, not_found
from moderation.review.audit import INSERT_AUDIT

# Featuring needs a published comment; unfeaturing works in any state but deleted. Each change
# leaves an audit row naming the moderator.
SET_FEATURED = f"""
WITH target AS (
    SELECT comment_id, status FROM comments
     WHERE site_id = $1 AND comment_id = $2 AND status <> 'deleted' FOR UPDATE
), changed AS (
    UPDATE comments c SET featured_at = CASE WHEN $3 THEN coalesce(c.featured_at, now()) END
      FROM target t
     WHERE c.site_id = $1 AND c.comment_id = t.comment_id AND (t.status = 'approved' OR NOT $3)
       AND (c.featured_at IS NULL) = $3
    RETURNING c.comment_id, c.status
), audit AS (
    {INSERT_AUDIT}
    SELECT $1, 'comment', comment_id, $4, CASE WHEN $3 THEN 'feature' ELSE 'unfeature' END,
           status, status, '' FROM changed
)
SELECT status FROM target"""


async def set_featured(conn, site_id: str, comment_id: int, featured: bool, moderator: str) -> None:
    """Features or unfeatures the comment; doing it twice is harmless. 404 for an unknown or
    deleted comment, 409 `not_published` when featuring one that is not published."""
    status = await conn.fetchval(SET_FEATURED, site_id, comment_id, featured, moderator)
    if status is None:
        raise not_found("comment")
    if featured and status != "approved":
        raise ApiError(409, "not_published", "only a published comment can be featured",
                       [{"status": status}])
