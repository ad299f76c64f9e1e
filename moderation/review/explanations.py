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
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from moderation.db.pool import Connection
from moderation.judging.explain import explain, needs_explaining, stored_verdict
from moderation.rules import RULES_BY_NAME
from moderation.rules.base import Verdict

log = logging.getLogger(__name__)

# The first look's explanation wins: a row another listing explained meanwhile is left as it is,
# and is not returned (its stored explanation is read again, STORED_DETAILS).
STORE_EXPLAINED = """
UPDATE verdicts v SET details = u.details
  FROM unnest($3::bigint[], $4::int[], $5::text[], $6::jsonb[], $7::jsonb[])
       AS u(item_id, item_version, rule, details, before)
 WHERE v.site_id = $1 AND v.kind = $2 AND v.item_id = u.item_id
   AND v.item_version = u.item_version AND v.rule = u.rule
   AND v.details IS NOT DISTINCT FROM u.before
RETURNING v.item_id, v.rule"""

STORED_DETAILS = """
SELECT v.item_id, v.rule, v.details
  FROM unnest($3::bigint[], $4::int[], $5::text[]) AS u(item_id, item_version, rule)
  JOIN verdicts v ON v.site_id = $1 AND v.kind = $2 AND v.item_id = u.item_id
                 AND v.item_version = u.item_version AND v.rule = u.rule"""

Found = list[tuple[Any, Verdict]]


async def explained(conn: Connection, site_id: str, kind: str, rows: Sequence[Any],
                    bodies: Mapping[int, str | None]) -> list[dict[str, Any]]:
    """The verdict rows of a page (store.VERDICTS_OF) as the page shows them, each item's
    explained from its body (`bodies`, by item id) if it was not yet, and that stored. An item
    whose verdicts cannot be explained (a stored row of a surprising shape) is logged and shown
    as it is stored; one another listing explained first shows what that one stored."""
    verdicts = [{"item_id": r["item_id"], "rule": r["rule"], "action": r["action"],
                 "score": r["score"], "reason": r["reason"], "details": r["details"] or {}}
                for r in rows]
    by_item: dict[int, list[Any]] = {}
    for row in rows:
        by_item.setdefault(row["item_id"], []).append(row)
    work = {item_id: (body, found) for item_id, item_rows in by_item.items()
            if (body := bodies.get(item_id)) is not None
            and (found := _to_explain(site_id, kind, item_id, item_rows)) is not None}
    if not work:
        return verdicts
    # In a thread: the first explanation in a process reads the text model (about a second).
    done = await asyncio.to_thread(_explain_all, site_id, kind, work)
    changed = [(row, verdict.details) for item_id, new in done.items()
               for (row, before), verdict in zip(work[item_id][1], new, strict=True)
               if verdict is not before]
    if not changed:
        return verdicts
    keys = ([row["item_id"] for row, _ in changed], [row["item_version"] for row, _ in changed],
            [row["rule"] for row, _ in changed])
    written = {(r["item_id"], r["rule"]) for r in await conn.fetch(
        STORE_EXPLAINED, site_id, kind, *keys, [dict(details) for _, details in changed],
        [row["details"] for row, _ in changed])}
    explanations = {(row["item_id"], row["rule"]): details for row, details in changed}
    if len(written) < len(changed):
        # Another listing stored its explanation first: that one is what everyone sees.
        explanations |= {(r["item_id"], r["rule"]): r["details"] or {}
                         for r in await conn.fetch(STORED_DETAILS, site_id, kind, *keys)
                         if (r["item_id"], r["rule"]) not in written}
    for verdict in verdicts:
        verdict["details"] = explanations.get((verdict["item_id"], verdict["rule"]),
                                              verdict["details"])
    return verdicts


def _to_explain(site_id: str, kind: str, item_id: int, rows: Sequence[Any]) -> Found | None:
    """An item's rows with their verdicts if one of them is not explained yet, else None."""
    try:
        found = [(row, stored_verdict(row["rule"], row["action"], row["score"], row["reason"],
                                      row["details"])) for row in rows]
        if any(needs_explaining(v, RULES_BY_NAME.get(v.rule)) for _, v in found):
            return found
    except Exception:
        _failed(site_id, kind, item_id)
    return None


def _explain_all(site_id: str, kind: str,
                 work: Mapping[int, tuple[str, Found]]) -> dict[int, list[Verdict]]:
    """Each item's verdicts explained; an item whose explaining fails is left out (logged)."""
    done: dict[int, list[Verdict]] = {}
    for item_id, (body, found) in work.items():
        try:
            done[item_id] = explain(body, [verdict for _, verdict in found])
        except Exception:
            _failed(site_id, kind, item_id)
    return done


def _failed(site_id: str, kind: str, item_id: int) -> None:
    # The item's id, never its text: the traceback says which rule and what it read.
    log.exception("could not explain %s %s of site %s; listed without its explanation",
                  kind, item_id, site_id)
