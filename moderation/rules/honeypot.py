"""honeypot: the hidden `website` field filled in, or a form sent faster than a person types."""

from typing import Literal

from pydantic import Field

from moderation.rules.base import Rule, RuleContext, RuleParams, Verdict

NAME = "honeypot"


class HoneypotParams(RuleParams):
    action: Literal["hold", "reject"] = "reject"
    min_elapsed_ms: int = Field(default=1500, ge=0, le=600_000)


def check(ctx: RuleContext, params: HoneypotParams) -> Verdict:
    signals = ctx.item.signals
    if signals.get("website"):
        return Verdict(NAME, params.action, 1.0, "hidden website field was filled in")
    elapsed_ms = signals.get("elapsed_ms")
    # Absent when the comment came from an API client rather than the widget's form.
    if elapsed_ms is not None and elapsed_ms < params.min_elapsed_ms:
        return Verdict(NAME, params.action, 0.9,
                       f"form sent {elapsed_ms} ms after opening, under {params.min_elapsed_ms} ms",
                       {"elapsed_ms": elapsed_ms})
    return Verdict(NAME, "allow")


RULE = Rule(NAME, frozenset({"comment"}), HoneypotParams, check)
