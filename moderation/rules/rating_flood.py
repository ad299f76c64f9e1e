"""rating_flood: too many ratings from one rater, or from one IP address, within a window → hold.

A rater rating many authors in an hour, or one address sending the ratings of many "readers",
is how stars are stuffed; so is one address rating the same author again and again under fresh
browser fingerprints (`max_per_ip_author` a day). An office or a household behind one address
sends a handful, which the defaults leave alone. The history is read for a day back at most, so
`window_s` ≤ 86400, with the other rating rules' facts (rules/facts/ratings.py).
"""

from typing import Literal

from pydantic import Field

from moderation.rules.base import Rule, RuleContext, RuleParams, Verdict
from moderation.rules.facts.ratings import LOOKBACK_S, RECENT_CAP, load_facts

NAME = "rating_flood"


class RatingFloodParams(RuleParams):
    action: Literal["hold", "reject"] = "hold"
    window_s: int = Field(default=3600, ge=60, le=LOOKBACK_S)
    # Ratings (this one included) one rater may send within the window.
    max_per_rater: int = Field(default=10, ge=1, le=RECENT_CAP)
    # Ratings (this one included) one IP address may send within the window.
    max_per_ip: int = Field(default=30, ge=1, le=RECENT_CAP)
    # Ratings (this one included) for one author from one IP address within a day.
    max_per_ip_author: int = Field(default=8, ge=1, le=RECENT_CAP)


def check(ctx: RuleContext, params: RatingFloodParams) -> Verdict:
    facts = ctx.facts.get(NAME) or {}
    by_rater = 1 + sum(1 for age in facts.get("rater_ages", ()) if age < params.window_s)
    by_ip = 1 + sum(1 for age in facts.get("ip_ages", ()) if age < params.window_s)
    if by_rater > params.max_per_rater:
        return Verdict(NAME, params.action, min(1.0, by_rater / (2 * params.max_per_rater)),
                       f"{by_rater} ratings from this rater in {params.window_s} s, "
                       f"more than {params.max_per_rater}", {"rater_ratings": by_rater})
    if by_ip > params.max_per_ip:
        return Verdict(NAME, params.action, min(1.0, by_ip / (2 * params.max_per_ip)),
                       f"{by_ip} ratings from this address in {params.window_s} s, "
                       f"more than {params.max_per_ip}", {"ip_ratings": by_ip})
    by_ip_author = 1 + facts.get("ip_author_count", 0)
    if by_ip_author > params.max_per_ip_author:
        return Verdict(NAME, params.action, min(1.0, by_ip_author / (2 * params.max_per_ip_author)),
                       f"{by_ip_author} ratings of this author from this address in a day, "
                       f"more than {params.max_per_ip_author}", {"ip_author_ratings": by_ip_author})
    return Verdict(NAME, "allow", 0.0, "", {"rater_ratings": by_rater, "ip_ratings": by_ip})


RULE = Rule(NAME, frozenset({"rating"}), RatingFloodParams, check, load_facts)
