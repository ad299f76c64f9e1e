"""length: empty, too short or too long comments."""

from typing import Literal

from pydantic import Field

from moderation.rules.base import Rule, RuleContext, RuleParams, Verdict

NAME = "length"


class LengthParams(RuleParams):
    action: Literal["hold", "reject"] = "reject"
    min_chars: int = Field(default=2, ge=1, le=1000)
    max_chars: int = Field(default=5000, ge=10, le=100_000)


def check(ctx: RuleContext, params: LengthParams) -> Verdict:
    size = len(ctx.item.body.strip())
    if size == 0:
        return Verdict(NAME, params.action, 1.0, "empty comment")
    if size < params.min_chars:
        return Verdict(NAME, params.action, 1.0, f"shorter than {params.min_chars} characters")
    if size > params.max_chars:
        return Verdict(NAME, params.action, 1.0, f"longer than {params.max_chars} characters",
                       {"length": size})
    return Verdict(NAME, "allow")


RULE = Rule(NAME, frozenset({"comment"}), LengthParams, check)
