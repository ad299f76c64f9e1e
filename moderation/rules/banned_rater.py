"""banned_rater: a verified rater whom moderators banned as a commenter → reject their ratings.

Verified raters share their key (`sso:<subject>`) with the commenters table, so one ban covers
both comments and ratings. Anonymous raters have no account to ban; rating_flood covers them.
"""

from datetime import datetime
from typing import Any, Literal, Sequence

from moderation.rules.base import Item, Rule, RuleContext, RuleParams, Verdict

NAME = "banned_rater"

BANNED = """
SELECT i.site_id, i.rating_id, c.ban_reason FROM unnest($1::text[], $2::bigint[], $3::text[],
                                                        $4::timestamptz[])
       AS i(site_id, rating_id, rater, created_at)
  JOIN commenters c ON c.site_id = i.site_id AND c.commenter = i.rater
 WHERE c.banned_until > i.created_at"""


class BannedRaterParams(RuleParams):
    action: Literal["hold", "reject"] = "reject"


async def load_facts(conn: Any, items: Sequence[Item], now: datetime) -> dict[tuple, Any]:
    verified = [i for i in items if i.kind == "rating" and i.verified]
    if not verified:
        return {}
    rows = await conn.fetch(BANNED, [i.site_id for i in verified], [i.item_id for i in verified],
                            [i.commenter for i in verified], [i.created_at for i in verified])
    return {(r["site_id"], "rating", r["rating_id"]): {"reason": r["ban_reason"] or ""}
            for r in rows}


def check(ctx: RuleContext, params: BannedRaterParams) -> Verdict:
    ban = ctx.facts.get(NAME)
    if ban is None:
        return Verdict(NAME, "allow")
    reason = "rater is banned" + (f": {ban['reason']}" if ban["reason"] else "")
    return Verdict(NAME, params.action, 1.0, reason)


RULE = Rule(NAME, frozenset({"rating"}), BannedRaterParams, check, load_facts)
