"""combined: the rules' evidence added up per category; a sum at the site's threshold → hold.

Each evidence verdict (rules.base.evidence) gives log-odds points toward `spam`, `abuse` or `any`
(both). The shipped models give their own log-odds; the other rules add fixed points that the
site can change (docs/rules.md has the table). The defaults were chosen on the dev split of the
labelled data (training/corpus.py), never on its test split.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from moderation.rules.base import Rule, RuleContext, RuleParams, Verdict

NAME = "combined"
CATEGORIES = ("spam", "abuse")


class CombinedParams(RuleParams):
    action: Literal["hold", "reject"] = "hold"
    # Chosen by `python -m training.tune` on the dev split (docs/rules.md).
    spam_threshold: float = Field(default=3.5, ge=-20.0, le=50.0)
    abuse_threshold: float = Field(default=3.0, ge=-20.0, le=50.0)


def totals(verdicts) -> dict[str, float]:
    found = {category: 0.0 for category in CATEGORIES}
    for verdict in verdicts:
        if verdict.category == "any":
            for category in CATEGORIES:
                found[category] += verdict.points
        elif verdict.category:
            found[verdict.category] += verdict.points
    return found


def check(ctx: RuleContext, params: CombinedParams) -> Verdict:
    if any(v.action == "reject" for v in ctx.verdicts):
        return Verdict(NAME, "allow")  # decided already; the sums would say nothing more
    sums = totals(ctx.verdicts)
    thresholds = {"spam": params.spam_threshold, "abuse": params.abuse_threshold}
    over = [c for c in CATEGORIES if sums[c] >= thresholds[c]]
    if not over:
        return Verdict(NAME, "allow")
    category = max(over, key=lambda c: sums[c] - thresholds[c])
    drivers = sorted((v for v in ctx.verdicts if v.points > 0 and v.category in (category, "any")),
                     key=lambda v: -v.points)
    because = ", ".join(f"{v.rule} {v.points:+.1f}" for v in drivers[:4])
    return Verdict(NAME, params.action, round(min(1.0, 0.5 + (sums[category] - thresholds[category])
                                                   / 10), 3),
                   f"{category} {round(sums[category], 2):g} points,"
                   f" over {thresholds[category]:g}"
                   f" ({because})",
                   {"category": category, "points": round(sums[category], 2),
                    "threshold": thresholds[category],
                    "signals": [{"rule": v.rule, "points": v.points} for v in drivers]})


RULE = Rule(NAME, frozenset({"comment"}), CombinedParams, check)
