"""The moderators' review queue: listing with reasons, claims, decisions, priorities, rule precision.

Every kind of item shares one flow; what differs per kind is its ItemKind (moderation.queue.kinds).
A decision is applied to
the revision the moderator saw: if another moderator (or a report) changed the item since, the
decision is refused with the current state, and repeating a decision already made is harmless.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncpg

from moderation.db.pool import Connection
from moderation.errors import ApiError, not_found
from moderation.queue.kinds import JUDGED, KINDS, ItemKind
from moderation.review import audit, explanations
from moderation.rules.commenter import is_trusted

# Filters shared by every kind: a rule that held or rejected the current version, and claims.
RULE_FILTER = """
   AND ($4::text IS NULL OR EXISTS (
        SELECT FROM verdicts v
         WHERE v.site_id = i.site_id AND v.kind = '{kind}' AND v.item_id = i.{id}
           AND v.item_version = i.version AND v.rule = $4
           AND (v.action <> 'allow' OR (v.details ? 'points' AND v.score > 0))))
   AND ($5::boolean OR NOT EXISTS (
        SELECT FROM claims cl
         WHERE cl.site_id = i.site_id AND cl.kind = '{kind}' AND cl.item_id = i.{id}
           AND cl.expires_at > now() AND cl.moderator <> $6))"""

ORDERS = {
    "oldest": ("i.created_at ASC, i.{id} ASC", "(i.created_at, i.{id}) > ($7::timestamptz, $8::bigint)"),
    "priority": ("i.priority DESC, i.{id} DESC", "(i.priority, i.{id}) < ($7::real, $8::bigint)"),
}

LIST_TEMPLATE = """
SELECT {columns}, i.status, i.version, i.revision, i.priority, i.created_at,
       (SELECT cl.moderator FROM claims cl
         WHERE cl.site_id = i.site_id AND cl.kind = '{kind}' AND cl.item_id = i.{id}
           AND cl.expires_at > now()) AS claimed_by
  FROM {table} i
 WHERE i.site_id = $1 AND i.status = $2 {rule_filter} {after}
 ORDER BY {order}
 LIMIT $3"""


def list_query(kind: ItemKind, order: str, after: bool) -> str:
    order_by, keyset = ORDERS[order]
    return LIST_TEMPLATE.format(
        columns=kind.review_columns, kind=kind.name, id=kind.id_column, table=kind.table,
        rule_filter=RULE_FILTER.format(kind=kind.name, id=kind.id_column),
        after=("AND " + keyset.format(id=kind.id_column)) if after else "",
        order=order_by.format(id=kind.id_column))


LIST_QUERIES = {(name, order, after): list_query(kind, order, after)
                for name, kind in KINDS.items() for order in ORDERS for after in (False, True)}

VERDICTS_OF = """
SELECT v.item_id, v.item_version, v.rule, v.action, v.score, v.reason, v.details
  FROM unnest($3::bigint[], $4::int[]) AS i(item_id, version)
  JOIN verdicts v ON v.site_id = $1 AND v.kind = $2 AND v.item_id = i.item_id
                 AND v.item_version = i.version
 ORDER BY v.item_id, v.rule"""

# How many items of the listed kind each person has, per status.
PEOPLE_SUMMARY = """
SELECT {person} AS person, status, count(*) AS n FROM {table}
 WHERE site_id = $1 AND {person} = ANY($2::text[])
 GROUP BY {person}, status"""
PEOPLE_SUMMARIES = {name: PEOPLE_SUMMARY.format(person=kind.person_column, table=kind.table)
                    for name, kind in KINDS.items()}

BANS_OF = """
SELECT commenter, banned_until FROM commenters
 WHERE site_id = $1 AND commenter = ANY($2::text[]) AND banned_until > now()"""

CLAIM = """
INSERT INTO claims (site_id, kind, item_id, moderator, expires_at)
SELECT $1, $2, $3, $4, now() + make_interval(secs => $5)
ON CONFLICT (site_id, kind, item_id) DO UPDATE
   SET moderator = EXCLUDED.moderator, expires_at = EXCLUDED.expires_at
 WHERE claims.expires_at <= now() OR claims.moderator = EXCLUDED.moderator
RETURNING moderator, expires_at"""

CLAIM_HOLDER = """
SELECT moderator, expires_at FROM claims
 WHERE site_id = $1 AND kind = $2 AND item_id = $3 AND expires_at > now()"""

RELEASE_CLAIM = "DELETE FROM claims WHERE site_id = $1 AND kind = $2 AND item_id = $3"

# The verdicts of the last $2 days that held, rejected or scored their item (`flagged`, with the
# columns {flagged}), and the latest moderator decision on each item of a kind the rules judge
# (`moderated`): what rule precision and rule activity count.
FLAGGED_AND_MODERATED = """
WITH flagged AS (
    SELECT v.kind, v.item_id, v.rule, {flagged} FROM verdicts v
     WHERE v.site_id = $1 AND (v.action <> 'allow' OR (v.details ? 'points' AND v.score > 0))
       AND v.created_at > now() - make_interval(days => $2)
), moderated AS (
    SELECT DISTINCT ON (kind, item_id) kind, item_id, to_status FROM audit
     WHERE site_id = $1 AND actor LIKE 'moderator:%' AND kind IN (""" + ", ".join(
    f"'{kind.name}'" for kind in JUDGED) + """)
       AND created_at > now() - make_interval(days => $2)
     ORDER BY kind, item_id, audit_id DESC
)"""

RULE_STATS = FLAGGED_AND_MODERATED.format(flagged="v.action") + """
SELECT f.rule, f.action, count(*) AS flagged, count(m.item_id) AS reviewed,
       count(*) FILTER (WHERE m.to_status = 'approved') AS overturned
  FROM flagged f LEFT JOIN moderated m ON m.kind = f.kind AND m.item_id = f.item_id
 GROUP BY f.rule, f.action ORDER BY f.rule, f.action"""


def moderator_name(token) -> str:
    return f"moderator:{token.label}"


async def list_items(conn: Connection, site_id: str, kind: str, status: str, rule: str | None, order: str,
                     limit: int, include_claimed: bool, moderator: str,
                     after: tuple[Any, int] | None, trust_after: int) -> list[dict]:
    query = LIST_QUERIES[(kind, order, after is not None)]
    args = [site_id, status, limit, rule, include_claimed, moderator]
    if after is not None:
        args += list(after)
    rows = await conn.fetch(query, *args)
    if not rows:
        return []
    ids = [r["id"] for r in rows]
    verdicts = await explanations.explained(
        conn, site_id, kind,
        await conn.fetch(VERDICTS_OF, site_id, kind, ids, [r["version"] for r in rows]),
        {r["id"]: r["body"] for r in rows})
    reports = await KINDS[kind].reports_of(conn, site_id, ids)
    people = sorted({r["person"] for r in rows})
    summary = await conn.fetch(PEOPLE_SUMMARIES[kind], site_id, people)
    bans = {b["commenter"]: b["banned_until"] for b in await conn.fetch(BANS_OF, site_id, people)}
    return [queue_item(kind, row, verdicts, reports, summary, bans, trust_after) for row in rows]


def queue_item(kind: str, row, verdicts, reports, summary, bans, trust_after: int) -> dict:
    counts = {s["status"]: s["n"] for s in summary if s["person"] == row["person"]}
    item = {
        "kind": kind, "id": str(row["id"]), "status": row["status"], "revision": row["revision"],
        # Exact, not rounded: the next page's cursor is built from it.
        "priority": row["priority"], "created_at": row["created_at"],
        "claimed_by": row["claimed_by"],
        "verdicts": [{"rule": v["rule"], "action": v["action"], "score": v["score"],
                      "reason": v["reason"], "details": v["details"] or {}}
                     for v in verdicts if v["item_id"] == row["id"]],
        "commenter": {"id": row["person"], "verified": row["verified"], "counts": counts,
                      "trusted": is_trusted(counts.get("approved", 0), counts.get("rejected", 0),
                                            trust_after),
                      "banned_until": bans.get(row["person"])},
    }
    item.update(KINDS[kind].queue_fields(row, reports))
    return item


async def claim(conn: Connection, site_id: str, kind: str, item_id: int, moderator: str,
                seconds: float) -> asyncpg.Record:
    await current(conn, site_id, kind, item_id)  # 404 for an unknown item
    row = await conn.fetchrow(CLAIM, site_id, kind, item_id, moderator, seconds)
    if row is None:
        holder = await conn.fetchrow(CLAIM_HOLDER, site_id, kind, item_id)
        assert holder is not None  # the claim that refused this one
        raise ApiError(409, "claimed", f"{holder['moderator']} is looking at this item",
                       [{"claimed_by": holder["moderator"], "expires_at": holder["expires_at"].isoformat()}])
    return row


async def current(conn: Connection, site_id: str, kind: str, item_id: int,
                  lock: bool = False) -> asyncpg.Record:
    query = KINDS[kind].current + (" FOR UPDATE" if lock else "")
    row = await conn.fetchrow(query, site_id, item_id)
    if row is None or row["status"] == "deleted":
        raise not_found(kind)
    return row


@dataclass(frozen=True)
class Outcome:
    kind: str
    item_id: int
    status: str
    revision: int
    changed: bool

    def as_json(self) -> dict:
        return {"kind": self.kind, "id": str(self.item_id), "status": self.status,
                "revision": self.revision, "changed": self.changed}


TARGET = {"approve": "approved", "reject": "rejected"}


async def decide(conn: Connection, site_id: str, kind: str, item_id: int, action: str, reason: str,
                 revision: int | None, moderator: str, ban: bool = False,
                 reason_code: str | None = None) -> Outcome:
    """One moderator decision inside the caller's transaction."""
    target = TARGET[action]
    item_kind = KINDS[kind]
    await item_kind.lock_for_decision(conn, site_id)
    row = await current(conn, site_id, kind, item_id, lock=True)
    if item_kind.settled(row["status"], target):
        return Outcome(kind, item_id, row["status"], row["revision"], False)
    if revision is not None and revision != row["revision"]:
        raise ApiError(409, "stale_decision", "this item changed since you saw it",
                       [{"status": row["status"], "revision": row["revision"]}])
    status = await item_kind.apply_moderator(conn, site_id, item_id, row, target)
    await audit.record(conn, site_id, kind, item_id, actor=moderator, action=action,
                       from_status=row["status"], to_status=status, reason=reason,
                       reason_code=reason_code)
    await conn.execute(RELEASE_CLAIM, site_id, kind, item_id)
    if ban:
        from moderation.review import commenters
        await commenters.ban(conn, site_id, row["person"], None, reason or "banned by a moderator",
                             moderator)
    return Outcome(kind, item_id, status, row["revision"] + 1, True)


async def rule_stats(conn: Connection, site_id: str, days: int = 30) -> list[dict]:
    return [{"rule": r["rule"], "action": r["action"], "flagged": r["flagged"],
             "reviewed": r["reviewed"], "overturned": r["overturned"],
             "overturn_rate": round(r["overturned"] / r["reviewed"], 3) if r["reviewed"] else None}
            for r in await conn.fetch(RULE_STATS, site_id, days)]


def person_items_query(kind: ItemKind) -> str:
    return (f"SELECT {kind.id_column} AS id FROM {kind.table} WHERE site_id = $1 AND "
            f"{kind.person_column} = $2 AND status IN ('pending', 'held', 'approved') "
            f"ORDER BY {kind.id_column}")


async def items_of(conn: Connection, site_id: str, kind: str, person: str) -> list[int]:
    return [r["id"] for r in await conn.fetch(person_items_query(KINDS[kind]), site_id, person)]

