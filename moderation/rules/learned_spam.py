"""learned_spam: this site's own spam classifier, learned from its moderators' decisions → hold.

Neutral until the site's moderators have rejected and approved at least `min_training` comments
each; then a comment scoring over `threshold` (0..1, see moderation.learned_spam) is held.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from pydantic import Field

from moderation import learned_spam
from moderation.rules.base import Item, Rule, RuleContext, RuleParams, Verdict

NAME = "learned_spam"


@dataclass(frozen=True, slots=True)
class Evidence:
    """How many decisions the site's classifier has learned, and its score for this comment."""

    spam_total: int
    ham_total: int
    score: float
    tokens: tuple[str, ...]  # the most spammy of the comment's tokens


class LearnedSpamParams(RuleParams):
    action: Literal["hold", "reject"] = "hold"
    # Chosen on the SMS collection (bench/rules_quality.py): 91 % of spam, 0.5 % of ham.
    threshold: float = Field(default=0.8, gt=0.5, lt=1.0)
    min_training: int = Field(default=20, ge=1, le=100_000)


async def load_facts(conn, items: Sequence[Item], now: datetime) -> dict[tuple, Evidence]:
    """The token counts of the whole batch, and each site's totals, in one query."""
    comments = [item for item in items if item.kind == "comment" and item.body]
    if not comments:
        return {}
    # A site whose moderators have not yet decided both spam and ham cannot score anything:
    # its comments skip tokenizing and the token lookup (check() says "still learning").
    learned = await learned_spam.totals(conn, {item.site_id for item in comments})
    comments = [item for item in comments if min(learned.get(item.site_id, (0, 0))) > 0]
    if not comments:
        return {}
    tokens_of = {item.key: learned_spam.tokens(item.body) for item in comments}
    keys = {(item.site_id, token) for item in comments for token in tokens_of[item.key]}
    per_token, totals = await learned_spam.counts(conn, keys, {i.site_id for i in comments})
    facts = {}
    for item in comments:
        spam_total, ham_total = totals.get(item.site_id, (0, 0))
        counts = {token: per_token[(item.site_id, token)] for token in tokens_of[item.key]
                  if (item.site_id, token) in per_token}
        # The score does not depend on the site's parameters: computed here, once per item.
        score, spammy = learned_spam.spam_probability(counts, spam_total, ham_total)
        facts[item.key] = Evidence(spam_total, ham_total, score, tuple(spammy))
    return facts


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
