"""The ordered list of rules: the one place that says which rules run, and in what order."""

from moderation.rules import (
    banned_rater,
    banned_words,
    brigading,
    combined,
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
    threats,
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
    threats.RULE,
    # The models: last, so a reject above them makes their cost informational.
    learned_spam.RULE,
    toxicity.RULE,
    # Adds up the evidence of the rules above: always the last comment rule.
    combined.RULE,
    # Ratings: a ban is certain; floods before bursts. One per rater is replacement, not a rule.
    banned_rater.RULE,
    rating_flood.RULE,
    brigading.RULE,
)

RULES_BY_NAME: dict[str, Rule] = {rule.name: rule for rule in RULES}


def rules_for(kind: str) -> tuple[Rule, ...]:
    return tuple(rule for rule in RULES if kind in rule.kinds)
