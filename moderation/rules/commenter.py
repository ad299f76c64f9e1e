"""commenter: a banned commenter → reject; premoderation of new commenters → hold.

An anonymous commenter is a name at an address: one writing from the address of a banned
anonymous commenter is banned too, for as long (moderation.review.commenters.ban).

Premoderation is the site setting `premoderation`: `off`, `first_n` (a commenter's first
`first_n` comments wait for a moderator) or `all`. A trusted commenter — at least
`trusted_after` approved comments and none rejected — skips it. The history (the commenter's
latest 10,000 comments) is read with the other comment rules' facts (rules/comment_facts.py).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from moderation.rules.base import Rule, RuleContext, RuleParams, Verdict, evidence
from moderation.rules.facts.comments import History, load_facts

NAME = "commenter"


class CommenterParams(RuleParams):
    action: Literal["hold", "reject"] = "hold"
    banned_action: Literal["hold", "reject"] = "reject"
    trusted_after: int = Field(default=5, ge=1, le=10_000)
    # History as evidence for the combined score (both categories): a trusted commenter's text
    # is given the benefit of the doubt, one whose comments were mostly rejected is not.
    trusted_points: float = Field(default=-1.0, ge=-20.0, le=0.0)
    rejected_points: float = Field(default=1.0, ge=0.0, le=20.0)


def is_trusted(approved: int, rejected: int, trusted_after: int) -> bool:
    """The one definition of a trusted commenter, for this rule and for what moderators see."""
    return approved >= trusted_after and rejected == 0


def trusted_after(settings) -> int:
    """The site's setting for how many approved comments make a commenter trusted."""
    return settings.rule_params()[NAME].trusted_after


def check(ctx: RuleContext, params: CommenterParams) -> Verdict:
    history: History = ctx.facts.get(NAME) or History()
    if history.banned_until is not None and history.banned_until > ctx.now:
        until = ("for good" if history.banned_until.year >= 9999
                 else f"until {history.banned_until:%Y-%m-%d %H:%M} UTC")
        who = "address of a banned commenter" if history.by_address else "commenter banned"
        return Verdict(NAME, params.banned_action, 1.0, f"{who} {until}",
                       {"ban_reason": history.ban_reason} if history.ban_reason else {})
    settings = ctx.site.settings
    mode = getattr(settings, "premoderation", "off")
    trusted = is_trusted(history.approved, history.rejected, params.trusted_after)
    details = {"approved": history.approved, "rejected": history.rejected, "trusted": trusted}
    if trusted:
        return evidence(NAME, "any", params.trusted_points, "trusted commenter", details)
    if mode == "off":
        if history.rejected > history.approved:
            return evidence(NAME, "any", params.rejected_points,
                            f"{history.rejected} of their comments rejected", details)
        return Verdict(NAME, "allow")
    if mode == "all":
        return Verdict(NAME, params.action, 0.5, "premoderation: every comment", details)
    first_n = getattr(settings, "first_n", 1)
    if history.earlier < first_n:
        return Verdict(NAME, params.action, 0.5,
                       f"premoderation: comment {history.earlier + 1} of the first {first_n}",
                       details)
    return Verdict(NAME, "allow", 0.0, "", details)


RULE = Rule(NAME, frozenset({"comment"}), CommenterParams, check, load_facts)
