"""brigading: ratings for one author arriving far above that author's usual rate, mostly from new
raters → hold the new raters' ratings of the burst for review.

"Usual" is the author's rate over the 30 days before the last hour (spread over at least a day,
so one early rating does not read as a high rate); the burst is the last hour. A rater is new
when they had not rated anything on the site before the burst began. Raters with history are
never held by this rule, and a burst must reach `min_burst` ratings, so the first ratings of a
new author and a busy day for a popular one are approved. One rating per rater and author needs
no rule: a newer rating replaces the older one when it is approved (moderation.ratings.store). The burst
and the baseline are read with the other rating rules' facts (rules/rating_facts.py).
"""

from typing import Literal

from pydantic import Field

from moderation.rules.base import Rule, RuleContext, RuleParams, Verdict
from moderation.rules.facts.ratings import BASELINE_S, load_facts

NAME = "brigading"
MIN_BASELINE_S = 86_400


class BrigadingParams(RuleParams):
    action: Literal["hold", "reject"] = "hold"
    # Fewer ratings than this in an hour is never a burst.
    min_burst: int = Field(default=20, ge=2, le=100_000)
    # A burst is this many times the author's usual hourly rate (at least one an hour).
    factor: float = Field(default=5.0, ge=1.0, le=1000.0)
    # ...with at least this share of it from new raters.
    min_new_share: float = Field(default=0.6, ge=0.0, le=1.0)


def usual_per_hour(baseline: int, baseline_s: float | None) -> float:
    if not baseline or baseline_s is None:
        return 0.0
    return baseline / (min(max(baseline_s, MIN_BASELINE_S), BASELINE_S) / 3600)


def check(ctx: RuleContext, params: BrigadingParams) -> Verdict:
    facts = ctx.facts.get(NAME)
    if not facts or facts["established"]:
        return Verdict(NAME, "allow")
    recent, recent_new = facts["recent"], facts["recent_new"]
    usual = usual_per_hour(facts["baseline"], facts["baseline_s"])
    threshold = max(params.min_burst, params.factor * max(usual, 1.0))
    details = {"last_hour": recent, "from_new_raters": recent_new, "usual_per_hour": round(usual, 2)}
    if recent < threshold or recent_new < params.min_new_share * recent:
        return Verdict(NAME, "allow", 0.0, "", details)
    return Verdict(NAME, params.action, min(1.0, recent / (2 * threshold)),
                   f"{recent} ratings for this author in the last hour ({recent_new} from new "
                   f"raters), usually {usual:.1f} an hour", details)


RULE = Rule(NAME, frozenset({"rating"}), BrigadingParams, check, load_facts)
