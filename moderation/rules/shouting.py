"""shouting: a comment mostly in capitals, or one character repeated on and on ("!!!!!!!!!!")."""

import functools
import re
from typing import Literal

from pydantic import Field

from moderation.rules.base import Rule, RuleContext, RuleParams, Verdict, evidence
from moderation.text.letters import caps_ratio

NAME = "shouting"

_TRIPLE = re.compile(r"(.)\1\1")


class ShoutingParams(RuleParams):
    # `score`: capitals and repeats are a little evidence of spam and abuse, never enough alone
    # ("GREAT GOAL!!!!!!!!" is enthusiasm); `hold` or `reject` decide alone.
    action: Literal["score", "hold", "reject"] = "score"
    caps_points: float = Field(default=0.4, ge=0.0, le=20.0)
    repeat_points: float = Field(default=0.2, ge=0.0, le=20.0)
    max_caps_ratio: float = Field(default=0.7, gt=0.0, le=1.0)
    # Below this many letters capitals are an acronym or a short cry, not shouting.
    min_letters: int = Field(default=12, ge=1, le=10_000)
    max_repeat: int = Field(default=8, ge=2, le=1000)


@functools.lru_cache(maxsize=32)
def _repeat_pattern(max_repeat: int) -> re.Pattern[str]:
    """A character (not a space or digit: "1000000000" is a number) more than max_repeat times."""
    return re.compile(rf"([^\s\d])\1{{{max_repeat},}}")


def check(ctx: RuleContext, params: ShoutingParams) -> Verdict:
    body = ctx.item.body
    ratio, letters = caps_ratio(body)
    if letters >= params.min_letters and ratio > params.max_caps_ratio:
        reason = f"{round(ratio * 100)}% capital letters"
        details: dict[str, object] = {"caps_ratio": round(ratio, 3)}
        if params.action == "score":
            return evidence(NAME, "any", params.caps_points, reason, details)
        return Verdict(NAME, params.action, round(ratio, 2), reason, details)
    # Three in a row is rare in prose and cheap to look for; only then the exact pattern.
    triple = _TRIPLE.search(body)
    repeated = (None if triple is None
                else _repeat_pattern(params.max_repeat).search(body, triple.start()))
    if repeated is not None:
        reason = f"{repeated.group(1)!r} repeated {len(repeated.group(0))} times"
        details = {"repeated": repeated.group(0), "spans": [list(repeated.span())]}
        if params.action == "score":
            return evidence(NAME, "any", params.repeat_points, reason, details)
        return Verdict(NAME, params.action, 0.6, reason, details)
    return Verdict(NAME, "allow")


RULE = Rule(NAME, frozenset({"comment"}), ShoutingParams, check)
