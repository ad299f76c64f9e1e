"""What the newsroom's desk reads besides the queue itself: each comment's context (article,
the comment it answers, the commenter's recent outcomes), exact waiting counts, people found by
name or email, the rules' activity over a period, and the audit filtered by who, what and when."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

import asyncpg

from moderation.appeals.reasons import policy_of_rules
from moderation.db.pool import Connection, ConnectionOrPool
from moderation.queue.kinds import KINDS
from moderation.queue.kinds.base import union_all
from moderation.review import explanations
from moderation.review.store import FLAGGED_AND_MODERATED, PEOPLE_SUMMARIES, VERDICTS_OF
from moderation.rules.commenter import is_trusted

RECENT_OUTCOMES = 5
EXCERPT = 280

THREADS_OF = """
SELECT thread, title, url FROM threads WHERE site_id = $1 AND thread = ANY($2::text[])"""

PARENTS_OF = """
SELECT comment_id, author_name, body, status FROM comments
 WHERE site_id = $1 AND comment_id = ANY($2::bigint[])"""

# Each commenter's last few comments other than the ones listed, newest first.
RECENT_OF = """
SELECT r.* FROM unnest($2::text[]) AS p(person) CROSS JOIN LATERAL (
    SELECT c.commenter, c.comment_id, c.thread, c.body, c.status, c.created_at FROM comments c
     WHERE c.site_id = $1 AND c.commenter = p.person AND c.comment_id <> ALL($3::bigint[])
       AND c.status <> 'pending'
     ORDER BY c.created_at DESC LIMIT $4) r"""


def excerpt(text: str) -> str:
    return text if len(text) <= EXCERPT else text[:EXCERPT - 1] + "…"


def comment_of(item: dict) -> int:
    """The comment a queue item is about: itself, or the comment an appeal is about."""
    return int(item["appeal"]["comment_id"] if item.get("appeal") else item["id"])


async def add_comment_context(conn: Connection, site_id: str, items: list[dict],
                              trust_after: int) -> None:
    """Gives each comment of a queue page its article, the comment it answers and its
    commenter's recent outcomes, in three statements for the whole page."""
    if not items:
        return
    threads = {r["thread"]: r for r in await conn.fetch(
        THREADS_OF, site_id, sorted({i["thread"] for i in items}))}
    parent_ids = sorted({int(i["parent_id"]) for i in items if i["parent_id"]})
    parents = {r["comment_id"]: r for r in await conn.fetch(PARENTS_OF, site_id, parent_ids)} \
        if parent_ids else {}
    await add_appealed_comments(conn, site_id, [i for i in items if i.get("appeal")], trust_after)
    recent = await conn.fetch(RECENT_OF, site_id, sorted({i["commenter"]["id"] for i in items}),
                              [comment_of(i) for i in items], RECENT_OUTCOMES)
    for item in items:
        thread = threads.get(item["thread"])
        item["thread"] = {"slug": item["thread"], "title": thread["title"] if thread else None,
                          "url": thread["url"] if thread else None}
        parent = parents.get(int(item["parent_id"])) if item["parent_id"] else None
        item["parent"] = None if parent is None or parent["status"] == "deleted" else {
            "id": str(parent["comment_id"]), "author": parent["author_name"],
            "body": excerpt(parent["body"]), "status": parent["status"]}
        item["suggested_reason"] = suggested_reason(item)
        item["commenter"]["recent"] = [
            {"id": str(r["comment_id"]), "thread": r["thread"], "body": excerpt(r["body"]),
             "status": r["status"], "created_at": r["created_at"]}
            for r in recent if r["commenter"] == item["commenter"]["id"]]


async def add_appealed_comments(conn: Connection, site_id: str, appeals: list[dict],
                                trust_after: int) -> None:
    """An appeal shows the verdicts of the rules on the comment it contests, and its author as
    a commenter: their comments per status, and their trust."""
    if not appeals:
        return
    people = sorted({a["commenter"]["id"] for a in appeals})
    counts = await conn.fetch(PEOPLE_SUMMARIES["comment"], site_id, people)
    for appeal in appeals:
        person = appeal["commenter"]
        person["counts"] = {c["status"]: c["n"] for c in counts if c["person"] == person["id"]}
        person["trusted"] = is_trusted(person["counts"].get("approved", 0),
                                       person["counts"].get("rejected", 0), trust_after)
    verdicts = await explanations.explained(
        conn, site_id, "comment",
        await conn.fetch(VERDICTS_OF, site_id, "comment", [comment_of(a) for a in appeals],
                         [a["appeal"]["comment_version"] for a in appeals]),
        {comment_of(a): a["body"] for a in appeals})
    for appeal in appeals:
        appeal["verdicts"] = [{"rule": v["rule"], "action": v["action"], "score": v["score"],
                               "reason": v["reason"], "details": v["details"] or {}}
                              for v in verdicts if v["item_id"] == comment_of(appeal)]


def suggested_reason(item: dict) -> str:
    """What a moderator would most likely reject the item for: what its readers reported it
    for, else the policy of the rules that held or rejected it."""
    reported = Counter(r["reason"] for r in item.get("reports") or [])
    if reported:
        return reported.most_common(1)[0][0]
    return policy_of_rules(item["verdicts"], actions=("reject", "hold"))


# Every kind's held items, counted by its review index.
WAITING = union_all("""
SELECT '{kind.name}' AS kind, count(*) AS n FROM {kind.table} WHERE site_id = $1 AND status = 'held'""",
                    KINDS.values())


async def waiting(conn: ConnectionOrPool, site_id: str) -> dict[str, int]:
    """Exactly how many items wait for a moderator, per kind (index-only counts)."""
    return {r["kind"]: r["n"] for r in await conn.fetch(WAITING, site_id)}


# By id exactly, by email exactly (case aside), or by the start of the name.
FIND_PEOPLE = """
SELECT c.commenter, c.name, c.email, c.verified, c.banned_until > now() AS banned, c.created_at,
       (SELECT count(*) FROM comments m WHERE m.site_id = c.site_id AND m.commenter = c.commenter)
           AS comments
  FROM commenters c
 WHERE c.site_id = $1
   AND (c.commenter = $2 OR lower(c.email) = lower($2) OR lower(c.name) LIKE $3)
 ORDER BY (c.commenter = $2) DESC, lower(c.name), c.commenter
 LIMIT $4"""


def name_prefix(text: str) -> str:
    """A LIKE pattern for names starting with `text`, its own % and _ taken literally."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


async def find_people(conn: ConnectionOrPool, site_id: str, text: str, limit: int) -> list[dict]:
    text = text.strip()
    rows = await conn.fetch(FIND_PEOPLE, site_id, text, name_prefix(text), limit)
    return [{"id": r["commenter"], "name": r["name"], "email": r["email"],
             "verified": r["verified"], "comments": r["comments"], "banned": bool(r["banned"]),
             "first_seen": r["created_at"]} for r in rows]


# Per rule and day: how often it held or rejected (or weighed in on a held or rejected item)
# and how often moderators then approved the item anyway.
RULE_ACTIVITY = FLAGGED_AND_MODERATED.format(
    flagged="date_trunc('day', v.created_at) AS day") + """
SELECT f.rule, f.day, count(*) AS fired,
       count(*) FILTER (WHERE m.to_status = 'approved') AS overturned
  FROM flagged f LEFT JOIN moderated m ON m.kind = f.kind AND m.item_id = f.item_id
 GROUP BY f.rule, f.day ORDER BY f.rule, f.day"""


async def rule_activity(conn: ConnectionOrPool, site_id: str, days: int) -> list[dict]:
    """Per rule: totals over the period and one point a day, for the admin page's chart."""
    by_rule: dict[str, dict] = {}
    for r in await conn.fetch(RULE_ACTIVITY, site_id, days):
        rule = by_rule.setdefault(r["rule"], {"rule": r["rule"], "fired": 0, "overturned": 0,
                                              "days": []})
        rule["fired"] += r["fired"]
        rule["overturned"] += r["overturned"]
        rule["days"].append({"day": r["day"].date().isoformat(), "fired": r["fired"],
                             "overturned": r["overturned"]})
    return sorted(by_rule.values(), key=lambda r: (-r["fired"], r["rule"]))


AUDIT_FILTERED = """
SELECT audit_id, kind, item_id, commenter, actor, action, from_status, to_status, reason,
       reason_code, created_at
  FROM audit
 WHERE site_id = $1 AND ($2::bigint IS NULL OR audit_id < $2)
   AND ($4::text IS NULL OR actor = $4 OR ($4 = 'moderators' AND actor LIKE 'moderator:%'))
   AND ($5::text IS NULL OR action = $5)
   AND ($6::text IS NULL OR kind = $6)
   AND ($7::timestamptz IS NULL OR created_at >= $7)
   AND ($8::timestamptz IS NULL OR created_at < $8)
 ORDER BY audit_id DESC LIMIT $3"""

async def audit_page(conn: ConnectionOrPool, site_id: str, before: int | None, limit: int, actor: str | None,
                     action: str | None, kind: str | None, since: datetime | None,
                     until: datetime | None) -> list[asyncpg.Record]:
    """Newest first; `before` is the last audit id of the previous page; each filter optional."""
    return await conn.fetch(AUDIT_FILTERED, site_id, before, limit, actor, action, kind, since,
                            until)

