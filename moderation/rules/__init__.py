"""The ordered list of rules: the one place that says which rules run, and in what order."""

from moderation.rules import (
    banned_rater,
    banned_words,
    brigading,
    commenter,
    duplicate,
    flood,
    honeypot,
    learned_spam,
    length,
    links,
    rating_flood,
    shouting,
    suspect_words,
    toxicity,
)
from moderation.rules.base import Rule

# Cheap, certain checks first; a reject from them makes the rest informational only.
RULES: tuple[Rule, ...] = (
    length.RULE,
    honeypot.RULE,
    commenter.RULE,
    banned_words.RULE,
    duplicate.RULE,
    links.RULE,
    suspect_words.RULE,
    shouting.RULE,
    flood.RULE,
    learned_spam.RULE,
    # The only rule with a model: last, so a reject above it makes its cost informational.
    toxicity.RULE,
    # Ratings: a ban is certain; floods before bursts. One per rater is replacement, not a rule.
    banned_rater.RULE,
    rating_flood.RULE,
    brigading.RULE,
)

RULES_BY_NAME: dict[str, Rule] = {rule.name: rule for rule in RULES}


def rules_for(kind: str) -> tuple[Rule, ...]:
    return tuple(rule for rule in RULES if kind in rule.kinds)
