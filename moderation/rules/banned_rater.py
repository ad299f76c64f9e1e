"""banned_rater: a rater whom moderators banned → reject their ratings.

Verified raters share their key (`sso:<subject>`) with the commenters table, so one ban covers
both comments and ratings. An anonymous rater is their address: banned as a rater, or writing
from the address of a banned anonymous commenter, their ratings are refused too. The ban is read
with the other rating rules' facts (rules/facts/ratings.py).
"""

from typing import Literal

from moderation.rules.base import Rule, RuleContext, RuleParams, Verdict
from moderation.rules.facts.ratings import load_facts

NAME = "banned_rater"


class BannedRaterParams(RuleParams):
    action: Literal["hold", "reject"] = "reject"


def check(ctx: RuleContext, params: BannedRaterParams) -> Verdict:
    ban = ctx.facts.get(NAME)
    if ban is None:
        return Verdict(NAME, "allow")
    reason = "rater is banned" + (f": {ban['reason']}" if ban["reason"] else "")
    return Verdict(NAME, params.action, 1.0, reason)


RULE = Rule(NAME, frozenset({"rating"}), BannedRaterParams, check, load_facts)
