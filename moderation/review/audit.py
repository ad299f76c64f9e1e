"""The record of decisions: the one INSERT of audit rows and of the rules' verdicts that every
statement writing them starts from, and recording decisions taken in Python (a moderator's, a
commenter's appeal, a ban, an erasure)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from moderation.db.pool import Connection

if TYPE_CHECKING:
    from moderation.judging.pipeline import Judgement

AUDIT_COLUMNS = ("site_id", "kind", "item_id", "actor", "action", "from_status", "to_status",
                 "reason")


def insert_audit(*more_columns: str) -> str:
    """The INSERT of audit rows, followed by the VALUES or SELECT of (site, kind, item, actor,
    action, from, to, reason) and then of `more_columns`."""
    return f"INSERT INTO audit ({', '.join(AUDIT_COLUMNS + more_columns)})"


INSERT_AUDIT = insert_audit()

# Followed by the SELECT of (site, kind, item, version, rule, action, score, reason, details);
# a verdict already stored for that version is kept.
INSERT_VERDICTS = """INSERT INTO verdicts (site_id, kind, item_id, item_version, rule, action,
                      score, reason, details)"""

# One decision taken in Python: the site's rejection reason a moderator picked
# (moderation.appeals.reasons) and the person it concerns are kept where there are any.
RECORD = f"""
{insert_audit("reason_code", "commenter")}
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"""

# Whether a moderator has decided this item before.
MODERATED = """
SELECT EXISTS (SELECT FROM audit WHERE site_id = $1 AND kind = $2 AND item_id = $3
                                   AND actor LIKE 'moderator:%')"""

# The verdicts and the audit row of each decision that took effect, in one statement. (Comment
# decisions store theirs in moderation.comments.store.APPLY_DECISIONS, together with the decision.)
RECORD_DECISIONS = f"""
WITH verdicts AS (
    {INSERT_VERDICTS}
    SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::int[], $5::text[], $6::text[],
                         $7::real[], $8::text[], $9::jsonb[])
    ON CONFLICT DO NOTHING
)
{INSERT_AUDIT}
SELECT site_id, kind, item_id, $14, 'decide', 'pending', to_status, reason
  FROM unnest($10::text[], $11::text[], $12::bigint[], $13::text[], $15::text[])
       AS a(site_id, kind, item_id, to_status, reason)"""


async def record_decisions(conn: Connection, decided: Sequence[Judgement], actor: str) -> None:
    """Stores the verdicts worth a row (Judgement.stored_verdicts) and one audit row per
    decision."""
    if not decided:
        return
    verdicts = [(j.item, v) for j in decided for v in j.stored_verdicts]
    await conn.execute(
        RECORD_DECISIONS, [i.site_id for i, _ in verdicts], [i.kind for i, _ in verdicts],
        [i.item_id for i, _ in verdicts], [i.version for i, _ in verdicts],
        [v.rule for _, v in verdicts], [v.action for _, v in verdicts],
        [v.score for _, v in verdicts], [v.reason for _, v in verdicts],
        [dict(v.details) if v.details else None for _, v in verdicts],
        [j.item.site_id for j in decided], [j.item.kind for j in decided],
        [j.item.item_id for j in decided], [j.status for j in decided], actor,
        [j.reason for j in decided])


async def record(conn: Connection, site_id: str, kind: str, item_id: int | None, *, actor: str,
                 action: str, from_status: str | None, to_status: str, reason: str,
                 reason_code: str | None = None, commenter: str | None = None) -> None:
    """One audit row: about an item, or (kind 'commenter', no item) about a person."""
    await conn.execute(RECORD, site_id, kind, item_id, actor, action, from_status, to_status,
                       reason, reason_code, commenter)
