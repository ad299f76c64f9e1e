"""The explanations on the moderators' page: built for the items of a page when they are first
listed, then kept in their verdict rows.

The rules store each verdict with what its explanation is made from (moderation.judging.explain);
a page of the queue, or an appeal showing the verdicts of its comment, explains those of its items
that are not explained yet and writes the result back, so later listings only read it and every
moderator (and the reviewer of an appeal) sees the words the first look saw, even after the
shipped model changes (docs/decisions/0014-explanations-when-looked-at.md).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

from moderation.db.pool import Connection
from moderation.judging.explain import explain, needs_explaining, stored_verdict
from moderation.rules import RULES_BY_NAME
from moderation.rules.base import Verdict

# The first look's explanation wins: a row another listing explained meanwhile is left as it is.
STORE_EXPLAINED = """
UPDATE verdicts v SET details = u.details
  FROM unnest($3::bigint[], $4::int[], $5::text[], $6::jsonb[], $7::jsonb[])
       AS u(item_id, item_version, rule, details, before)
 WHERE v.site_id = $1 AND v.kind = $2 AND v.item_id = u.item_id
   AND v.item_version = u.item_version AND v.rule = u.rule
   AND v.details IS NOT DISTINCT FROM u.before"""


async def explained(conn: Connection, site_id: str, kind: str, rows: Sequence[Any],
                    bodies: Mapping[int, str | None]) -> list[dict[str, Any]]:
    """The verdict rows of a page (store.VERDICTS_OF) as the page shows them, each item's
    explained from its body (`bodies`, by item id) if it was not yet, and that stored."""
    verdicts = [{"item_id": r["item_id"], "rule": r["rule"], "action": r["action"],
                 "score": r["score"], "reason": r["reason"], "details": r["details"] or {}}
                for r in rows]
    by_item: dict[int, list[tuple[Any, Verdict]]] = {}
    for row in rows:
        by_item.setdefault(row["item_id"], []).append((row, stored_verdict(
            row["rule"], row["action"], row["score"], row["reason"], row["details"])))
    work = {item_id: (body, [v for _, v in found]) for item_id, found in by_item.items()
            if (body := bodies.get(item_id)) is not None
            and any(needs_explaining(v, RULES_BY_NAME.get(v.rule)) for _, v in found)}
    if not work:
        return verdicts
    # In a thread: the first explanation in a process reads the text model (about a second).
    done = await asyncio.to_thread(_explain_all, work)
    changed = [(row, verdict.details) for item_id, new in done.items()
               for (row, before), verdict in zip(by_item[item_id], new, strict=True)
               if verdict is not before]
    if not changed:
        return verdicts
    await conn.execute(
        STORE_EXPLAINED, site_id, kind, [row["item_id"] for row, _ in changed],
        [row["item_version"] for row, _ in changed], [row["rule"] for row, _ in changed],
        [dict(details) for _, details in changed], [row["details"] for row, _ in changed])
    explanations = {(row["item_id"], row["rule"]): details for row, details in changed}
    for verdict in verdicts:
        verdict["details"] = explanations.get((verdict["item_id"], verdict["rule"]),
                                              verdict["details"])
    return verdicts


def _explain_all(work: Mapping[int, tuple[str, list[Verdict]]]) -> dict[int, list[Verdict]]:
    return {item_id: explain(body, verdicts) for item_id, (body, verdicts) in work.items()}
