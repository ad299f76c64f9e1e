"""learned_spam: this site's own spam classifier, learned from its moderators' decisions → hold.

Neutral until the site's moderators have rejected and approved at least `min_training` comments
each; then a comment scoring over `threshold` (0..1, see moderation.review.learned_spam) is held.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from moderation.rules.base import Rule, RuleContext, RuleParams, Verdict
from moderation.rules.facts.comments import Evidence, load_facts

NAME = "learned_spam"


class LearnedSpamParams(RuleParams):
    action: Literal["hold", "reject"] = "hold"
    # Chosen on the SMS collection (bench/rules_quality.py): 91 % of spam, 0.5 % of ham.
    threshold: float = Field(default=0.8, gt=0.5, lt=1.0)
    min_training: int = Field(default=20, ge=1, le=100_000)


def check(ctx: RuleContext, params: LearnedSpamParams) -> Verdict:
    evidence: Evidence | None = ctx.facts.get(NAME)
    if evidence is None or min(evidence.spam_total, evidence.ham_total) < params.min_training:
        return Verdict(NAME, "allow", 0.0, "still learning")
    score = evidence.score
    if score > params.threshold:
        return Verdict(NAME, params.action, round(score, 3),
                       f"like comments this site's moderators rejected ({score:.2f})",
                       {"probability": round(score, 3), "tokens": list(evidence.tokens)})
    return Verdict(NAME, "allow", round(score, 3))


RULE = Rule(NAME, frozenset({"comment"}), LearnedSpamParams, check, load_facts)
