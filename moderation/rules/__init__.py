"""The ordered list of rules: the one place that says which rules run, and in what order."""

from moderation.rules import (
    banned_words,
    honeypot,
    length,
    links,
    shouting,
    suspect_words,
    toxicity,
)
from moderation.rules.base import Rule

# Cheap, certain checks first; a reject from them makes the rest informational only.
RULES: tuple[Rule, ...] = (
    length.RULE,
    honeypot.RULE,
    banned_words.RULE,
    links.RULE,
    suspect_words.RULE,
    shouting.RULE,
    # The only rule with a model: last, so a reject above it makes its cost informational.
    toxicity.RULE,
)

RULES_BY_NAME: dict[str, Rule] = {rule.name: rule for rule in RULES}


def rules_for(kind: str) -> tuple[Rule, ...]:
    return tuple(rule for rule in RULES if kind in rule.kinds)
