"""learned_spam: how much a comment reads like spam, as evidence for the combined score.

Three voices, added as log-odds points toward `spam`:
- the base model shipped with the package (moderation.classifiers: trained offline on public
  labelled spam and clean text, English and German), from the first comment on;
- this site's own classifier, learned from its moderators' decisions (moderation.review
  .learned_spam), once they have rejected and approved `min_training` comments each;
- with `share` on, what the moderators of every sharing site on this installation taught
  together: spam campaigns hit many sites at once. Only token counts are pooled; no site sees
  another's comments, and a site that turns `share` off drops out of the pool at once.

`action: hold` (or `reject`) brings back the old behaviour: the site's classifier alone decides
over `threshold`.
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import Field

from moderation.classifiers.linear import load_model
from moderation.rules.base import Rule, RuleContext, RuleParams, Verdict, evidence
from moderation.rules.facts.comments import Evidence, load_facts

NAME = "learned_spam"
# Learned scores within this distance of 0.5 add nothing (see beyond_unsure).
UNSURE = 0.25


class LearnedSpamParams(RuleParams):
    action: Literal["score", "hold", "reject"] = "score"
    # For `hold` and `reject`: the site classifier's score (0..1) over which it decides alone.
    threshold: float = Field(default=0.8, gt=0.5, lt=1.0)
    min_training: int = Field(default=20, ge=1, le=100_000)
    base_model: bool = True
    # Points of the site's (and the shared) classifier: weight × beyond_unsure(score), at most
    # ±weight/4.
    site_weight: float = Field(default=2.0, ge=0.0, le=40.0)
    share: bool = False
    shared_weight: float = Field(default=8.0, ge=0.0, le=40.0)


def check(ctx: RuleContext, params: LearnedSpamParams) -> Verdict:
    facts: Evidence | None = ctx.facts.get(NAME)
    trained = facts is not None and min(facts.spam_total, facts.ham_total) >= params.min_training
    if params.action != "score":
        if not trained or facts is None:
            return Verdict(NAME, "allow", 0.0, "still learning")
        if facts.score > params.threshold:
            return Verdict(NAME, params.action, round(facts.score, 3),
                           f"like comments this site's moderators rejected ({facts.score:.2f})",
                           {"probability": round(facts.score, 3), **_tokens(facts)})
        return Verdict(NAME, "allow", round(facts.score, 3))
    parts: dict[str, float] = {}
    if params.base_model:
        parts["base"] = load_model().scores(ctx.item.body).logits["spam"]
    if trained and facts is not None:
        parts["site"] = params.site_weight * beyond_unsure(facts.score)
    shared = facts.shared if facts is not None else None
    if (params.share and shared is not None
            and min(shared.spam_total, shared.ham_total) >= params.min_training):
        parts["shared"] = params.shared_weight * beyond_unsure(shared.score)
    points = sum(parts.values())
    reason = ("reads like spam (" + ", ".join(f"{k} {v:+.1f}" for k, v in parts.items()) + ")"
              if points > 0 else "")
    details: dict[str, object] = {"parts": _rounded(parts)} if parts else {}
    if points > 0 and facts is not None:
        details.update(_tokens(facts))  # explain reads them when a moderator looks
    return evidence(NAME, "spam", points, reason, details)


def _tokens(facts: Evidence) -> dict[str, list[str]]:
    """The classifiers' spammiest tokens of the comment, kept with the verdict."""
    found = {"tokens": list(facts.tokens)}
    if facts.shared is not None and facts.shared.tokens:
        found["shared_tokens"] = list(facts.shared.tokens)
    return found


def explain(body: str, verdict: Verdict) -> dict:
    """The words behind the score: the base model's strongest, then the classifiers' tokens."""
    details = verdict.details
    words: list[str] = []
    if details.get("parts", {}).get("base", 0) > 0:
        words += [w for w, _ in load_model().top_words(body, "spam")]
    words += [t for t in (*details.get("tokens", ()), *details.get("shared_tokens", ()))
              if not t.startswith(("shape:", "link:"))]
    words = list(dict.fromkeys(words))[:8]
    return {"words": words, "phrases": words}


def beyond_unsure(score: float) -> float:
    """How far a learned score is past the unsure middle (0.5 ± UNSURE), signed: a classifier that
    has seen a few hundred decisions leans a little on every comment, and only its clear opinions
    (a campaign it has seen rejected, a regular's way of writing) are evidence."""
    return math.copysign(max(0.0, abs(score - 0.5) - UNSURE), score - 0.5)


def _rounded(parts: dict[str, float]) -> dict[str, float]:
    return {name: round(value, 2) for name, value in parts.items()}


RULE = Rule(NAME, frozenset({"comment"}), LearnedSpamParams, check, load_facts,
            warm_up=load_model, explain=explain)
