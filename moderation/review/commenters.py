"""Commenters as moderators see them: history, counts, trust, bans; and privacy export and erasure."""

from __future__ import annotations

from datetime import datetime

from moderation.db.pool import Connection
from moderation.errors import not_found
from moderation.queue.kinds import KINDS
from moderation.queue.kinds.appeal import OUTCOME
from moderation.queue.kinds.base import union_all
from moderation.ratings import store as ratings
from moderation.review import audit, learned_spam
from moderation.rules.commenter import is_trusted

SELECT_COMMENTER = """
SELECT commenter, name, email, verified, banned_until, ban_reason, created_at FROM commenters
 WHERE site_id = $1 AND commenter = $2"""

# The kinds a person's profile counts, and the kinds that keep the address an item came from.
PROFILED = [kind for kind in KINDS.values() if kind.in_profile]
ADDRESSED = [kind for kind in KINDS.values() if kind.address_column]

# The person's items of each kind their profile counts, per status.
COUNTS = union_all("""
SELECT '{kind.name}' AS kind, status, count(*) AS n FROM {kind.table}
 WHERE site_id = $1 AND {kind.person_column} = $2 GROUP BY status""", PROFILED)

RECENT_COMMENTS = """
SELECT comment_id, thread, body, status, created_at FROM comments
 WHERE site_id = $1 AND commenter = $2 ORDER BY created_at DESC LIMIT $3"""

# A rater who never commented has no commenters row yet; a ban creates it.
BAN_NEW = """
INSERT INTO commenters (site_id, commenter, name, banned_until, ban_reason)
VALUES ($1, $2, $2, coalesce($3::timestamptz, 'infinity'), $4)
ON CONFLICT (site_id, commenter) DO UPDATE
   SET banned_until = EXCLUDED.banned_until, ban_reason = EXCLUDED.ban_reason
RETURNING banned_until"""

# The addresses an anonymous person last wrote from (their newest items of each kind with an
# address, whose address hash has not expired yet) are banned with them, until the same time.
BAN_ADDRESSES = """
INSERT INTO address_bans (site_id, address_hash, commenter, banned_until, reason)
SELECT DISTINCT $1, ip_hash, $2, $3::timestamptz, $4 FROM (""" + union_all("""
    (SELECT {kind.address_column} AS ip_hash FROM {kind.table}
      WHERE site_id = $1 AND {kind.person_column} = $2 AND {kind.address_column} IS NOT NULL
      ORDER BY created_at DESC LIMIT $5)""", ADDRESSED) + """
) recent
ON CONFLICT (site_id, address_hash, commenter) DO UPDATE
   SET banned_until = EXCLUDED.banned_until, reason = EXCLUDED.reason"""
RECENT_ADDRESSES = 3
FORGET_ADDRESS_BANS = "DELETE FROM address_bans WHERE site_id = $1 AND commenter = $2"

UNBAN = """
UPDATE commenters SET banned_until = NULL, ban_reason = NULL WHERE site_id = $1 AND commenter = $2
RETURNING commenter"""

EXPORT_COMMENTS = """
SELECT comment_id, thread, parent_id, author_name, body, status, created_at, edited_at
  FROM comments WHERE site_id = $1 AND commenter = $2 ORDER BY created_at"""
EXPORT_RATINGS = """
SELECT rating_id, author, score, status, created_at FROM ratings
 WHERE site_id = $1 AND rater = $2 ORDER BY created_at"""
EXPORT_REPORTS = """
SELECT comment_id, reason, note, created_at FROM reports
 WHERE site_id = $1 AND reporter = $2 ORDER BY created_at"""

# Erasure: replies to the person's comments stay, detached; counts follow by trigger.
ERASE_COMMENTS = "DELETE FROM comments WHERE site_id = $1 AND commenter = $2 RETURNING comment_id"
# Each reply to an erased comment becomes a top-level comment, and the comments below it move
# under it, however deep: otherwise they would keep an erased root that no page loads.
DETACH_REPLIES = """
WITH RECURSIVE erased AS (
    SELECT comment_id FROM comments WHERE site_id = $1 AND commenter = $2
), moved (comment_id, new_root) AS (
    SELECT c.comment_id, c.comment_id FROM comments c
     WHERE c.site_id = $1 AND c.parent_id IN (SELECT comment_id FROM erased) AND c.commenter <> $2
    UNION ALL
    SELECT c.comment_id, m.new_root FROM comments c JOIN moved m ON c.parent_id = m.comment_id
     WHERE c.site_id = $1 AND c.commenter <> $2
)
UPDATE comments c
   SET parent_id = CASE WHEN c.comment_id = m.new_root THEN NULL ELSE c.parent_id END,
       root_id = CASE WHEN c.comment_id = m.new_root THEN NULL ELSE m.new_root END
  FROM moved m WHERE c.site_id = $1 AND c.comment_id = m.comment_id"""
ERASE_VERDICTS = """
DELETE FROM verdicts WHERE site_id = $1 AND kind = 'comment' AND item_id = ANY($2::bigint[])"""
FORGET_IN_AUDIT = "UPDATE audit SET commenter = NULL WHERE site_id = $1 AND commenter = $2"
# What the spam model learned from the person's comments: each one's latest moderator decision
# (moderation.review.store.decide trains it, and untrains a reversed one).
TRAINED_COMMENTS = """
SELECT DISTINCT ON (a.item_id) c.body, a.to_status FROM comments c
  JOIN audit a ON a.site_id = c.site_id AND a.kind = 'comment' AND a.item_id = c.comment_id
              AND a.actor LIKE 'moderator:%'
 WHERE c.site_id = $1 AND c.commenter = $2
 ORDER BY a.item_id, a.audit_id DESC"""
# The audit keeps who decided what and when about the person and their items of every kind, not
# why: a moderator's reason may quote the text, and the rules' reasons name its words. Run
# before the items are erased (their appeals go with their comments, ON DELETE CASCADE).
SCRUB_AUDIT_REASONS = """
UPDATE audit SET reason = ''
 WHERE site_id = $1 AND reason <> ''
   AND ((kind = 'commenter' AND commenter = $2)""" + "".join(f"""
        OR (kind = '{kind.name}' AND item_id IN (
            SELECT {kind.id_column} FROM {kind.table}
             WHERE site_id = $1 AND {kind.person_column} = $2))""" for kind in KINDS.values()) + ")"
EXPORT_APPEALS = """
SELECT comment_id, note, status, created_at, decided_at FROM appeals
 WHERE site_id = $1 AND commenter = $2 ORDER BY created_at"""
ERASE_REPORTS = "DELETE FROM reports WHERE site_id = $1 AND reporter = $2"
ERASE_COMMENTER = "DELETE FROM commenters WHERE site_id = $1 AND commenter = $2"


async def profile(conn: Connection, site_id: str, commenter: str, trust_after: int, recent: int = 50) -> dict:
    row = await conn.fetchrow(SELECT_COMMENTER, site_id, commenter)
    counts = await conn.fetch(COUNTS, site_id, commenter)
    if row is None and not counts:
        raise not_found("commenter")
    by_kind: dict[str, dict[str, int]] = {kind.name: {} for kind in PROFILED}
    for c in counts:
        by_kind[c["kind"]][c["status"]] = c["n"]
    comments = by_kind["comment"]
    history = await conn.fetch(RECENT_COMMENTS, site_id, commenter, recent)
    return {
        "id": commenter, "name": row["name"] if row else None,
        "verified": row["verified"] if row else commenter.startswith("sso:"),
        "first_seen": row["created_at"] if row else None,
        "counts": by_kind,
        "trusted": is_trusted(comments.get("approved", 0), comments.get("rejected", 0),
                              trust_after),
        "ban": ban_state(row),
        "recent_comments": [{"id": str(h["comment_id"]), "thread": h["thread"], "body": h["body"],
                             "status": h["status"], "created_at": h["created_at"]} for h in history],
    }


def ban_state(row) -> dict | None:
    if row is None or row["banned_until"] is None:
        return None
    permanent = row["banned_until"].year == 9999  # PostgreSQL's 'infinity'
    return {"until": None if permanent else row["banned_until"], "permanent": permanent,
            "reason": row["ban_reason"]}


async def ban(conn: Connection, site_id: str, commenter: str, until: datetime | None, reason: str,
              moderator: str) -> None:
    """Bans until a time, or for good when `until` is None. An anonymous person is a name at an
    address: their addresses are banned with them, or a new name would undo the ban."""
    banned_until = await conn.fetchval(BAN_NEW, site_id, commenter, until, reason)
    if commenter.startswith("anon:"):
        await conn.execute(BAN_ADDRESSES, site_id, commenter, banned_until, reason,
                           RECENT_ADDRESSES)
    await audit.record(conn, site_id, "commenter", None, actor=moderator, action="ban",
                       from_status=None, to_status="banned", reason=reason, commenter=commenter)


async def unban(conn: Connection, site_id: str, commenter: str, moderator: str) -> bool:
    found = await conn.fetchval(UNBAN, site_id, commenter)
    await conn.execute(FORGET_ADDRESS_BANS, site_id, commenter)
    if found:
        await audit.record(conn, site_id, "commenter", None, actor=moderator, action="unban",
                           from_status=None, to_status="unbanned", reason="", commenter=commenter)
    return bool(found)


async def export(conn: Connection, site_id: str, commenter: str) -> dict:
    row = await conn.fetchrow(SELECT_COMMENTER, site_id, commenter)
    comments = await conn.fetch(EXPORT_COMMENTS, site_id, commenter)
    rated = await conn.fetch(EXPORT_RATINGS, site_id, commenter)
    if row is None and not comments and not rated:
        raise not_found("commenter")
    return {
        "commenter": {"id": commenter, "name": row["name"] if row else None,
                      "email": row["email"] if row else None,
                      "verified": row["verified"] if row else False,
                      "created_at": row["created_at"] if row else None},
        "comments": [{"id": str(c["comment_id"]), "thread": c["thread"],
                      "parent_id": str(c["parent_id"]) if c["parent_id"] else None,
                      "name": c["author_name"], "body": c["body"], "status": c["status"],
                      "created_at": c["created_at"], "edited_at": c["edited_at"]} for c in comments],
        "ratings": [{"id": str(r["rating_id"]), "author": r["author"], "score": r["score"],
                     "status": r["status"], "created_at": r["created_at"]} for r in rated],
        "reports": [{"comment_id": str(r["comment_id"]), "reason": r["reason"], "note": r["note"],
                     "created_at": r["created_at"]}
                    for r in await conn.fetch(EXPORT_REPORTS, site_id, commenter)],
        "appeals": [{"comment_id": str(a["comment_id"]), "note": a["note"],
                     "status": OUTCOME[a["status"]], "created_at": a["created_at"],
                     "decided_at": a["decided_at"]}
                    for a in await conn.fetch(EXPORT_APPEALS, site_id, commenter)],
    }


async def erase(conn: Connection, site_id: str, commenter: str, actor: str) -> dict:
    """Deletes the person's data: their comments (and what the spam model learned from them),
    ratings, reports and bans, and the reasons in the audit of decisions about them; thread counts
    and rating aggregates stay exact."""
    async with conn.transaction():
        for trained in await conn.fetch(TRAINED_COMMENTS, site_id, commenter):
            if trained["to_status"] in ("approved", "rejected"):
                await learned_spam.untrain(conn, site_id, trained["body"],
                                           is_spam=trained["to_status"] == "rejected")
        await conn.execute(SCRUB_AUDIT_REASONS, site_id, commenter)
        await conn.execute(DETACH_REPLIES, site_id, commenter)
        comments = await conn.fetch(ERASE_COMMENTS, site_id, commenter)
        await conn.execute(ERASE_VERDICTS, site_id, [c["comment_id"] for c in comments])
        await conn.execute(FORGET_IN_AUDIT, site_id, commenter)
        rated = await ratings.erase_rater(conn, site_id, commenter)
        await conn.execute(ERASE_REPORTS, site_id, commenter)
        await conn.execute(FORGET_ADDRESS_BANS, site_id, commenter)
        found = await conn.execute(ERASE_COMMENTER, site_id, commenter)
        if not comments and not rated and found.endswith(" 0"):
            raise not_found("commenter")
        # The audit keeps that an erasure happened, not whose: the key itself is personal data.
        await audit.record(conn, site_id, "commenter", None, actor=actor, action="erase",
                           from_status=None, to_status="erased",
                           reason=f"erased {len(comments)} comments and {rated} ratings")
    return {"comments": len(comments), "ratings": rated}
