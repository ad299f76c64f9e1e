"""What a moderator reads beside the verdicts of a held or rejected item, built when they look.

Judging keeps only what an explanation is made from: each verdict's `phrases` (the normalized
words and phrases its rule matched) and what a rule's `explain` reads (the model's parts, the
learned classifiers' tokens). When a moderator lists the item, `explain` turns that into what the
page shows: the `spans` of the phrases in the body as written, and the models' top `words`,
highlighted too. Most items are never looked at (published, or rejected and left alone); a held
one is looked at once or a few times, and the review store keeps what was built
(docs/decisions/0014-explanations-when-looked-at.md).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from moderation.rules import RULES_BY_NAME
from moderation.rules.base import Rule, Verdict
from moderation.text.spans import phrase_spans_by_key


def needs_explaining(verdict: Verdict, rule: Rule | None) -> bool:
    """Whether a verdict counts (it held, rejected or added points) and is not explained yet: its
    phrases are not spans yet, or its rule's explain (which gives `words` or `spans`) was never
    asked."""
    if verdict.action == "allow" and verdict.points <= 0:
        return False
    details = verdict.details
    return "phrases" in details or (rule is not None and rule.explain is not None
                                    and "words" not in details and "spans" not in details)


def explain(body: str, verdicts: Sequence[Verdict],
            rules: Mapping[str, Rule] = RULES_BY_NAME) -> list[Verdict]:
    """The verdicts of one item with their explanations: each rule's own (the model's words),
    and the spans of every verdict's phrases in the body, found in one pass over it."""
    explained: dict[int, dict[str, Any]] = {}
    for n, verdict in enumerate(verdicts):
        rule = rules.get(verdict.rule)
        if not needs_explaining(verdict, rule):
            continue
        details = dict(verdict.details)
        if rule is not None and rule.explain is not None:
            details.update(rule.explain(body, verdict))
        explained[n] = details
    # Popped even when empty: a verdict without `phrases` is explained (needs_explaining).
    phrases = {n: details.pop("phrases", None) for n, details in explained.items()}
    for n, spans in phrase_spans_by_key(body, {n: p for n, p in phrases.items() if p}).items():
        explained[n]["spans"] = spans
    return [replace(verdict, details=explained[n]) if n in explained else verdict
            for n, verdict in enumerate(verdicts)]


def stored_verdict(rule: str, action: Any, score: float, reason: str,
                   details: Mapping[str, Any] | None) -> Verdict:
    """A verdict as its row keeps it: evidence keeps its category and points in its details."""
    details = details or {}
    return Verdict(rule, action, score, reason, details, details.get("category", ""),
                   details.get("points", 0.0))
