"""shouting: a comment mostly in capitals, or one character repeated on and on ("!!!!!!!!!!")."""

import functools
import re
from typing import Literal

from pydantic import Field

from moderation.rules.base import Rule, RuleContext, RuleParams, Verdict

NAME = "shouting"

# Latin-1 covers English and German letters (Ä, Ö, Ü, ß); letters of other scripts are not
# counted, which only makes the ratio more lenient.
_UPPER = bytes(c for c in range(256) if chr(c).isupper())
_LOWER = bytes(c for c in range(256) if chr(c).islower())
_NOT_UPPER = bytes(c for c in range(256) if c not in _UPPER)
_NOT_LOWER = bytes(c for c in range(256) if c not in _LOWER)


_TRIPLE = re.compile(r"(.)\1\1")


class ShoutingParams(RuleParams):
    action: Literal["hold", "reject"] = "hold"
    max_caps_ratio: float = Field(default=0.7, gt=0.0, le=1.0)
    # Below this many letters capitals are an acronym or a short cry, not shouting.
    min_letters: int = Field(default=12, ge=1, le=10_000)
    max_repeat: int = Field(default=8, ge=2, le=1000)


@functools.lru_cache(maxsize=32)
def _repeat_pattern(max_repeat: int) -> re.Pattern[str]:
    """A character (not a space or digit: "1000000000" is a number) more than max_repeat times."""
    return re.compile(rf"([^\s\d])\1{{{max_repeat},}}")


def caps_ratio(text: str) -> tuple[float, int]:
    """Share of capitals among cased letters, and how many cased letters there are."""
    latin = text.encode("latin-1", "ignore")
    upper = len(latin.translate(None, _NOT_UPPER))
    letters = upper + len(latin.translate(None, _NOT_LOWER))
    return (upper / letters if letters else 0.0), letters


def check(ctx: RuleContext, params: ShoutingParams) -> Verdict:
    body = ctx.item.body
    ratio, letters = caps_ratio(body)
    if letters >= params.min_letters and ratio > params.max_caps_ratio:
        return Verdict(NAME, params.action, round(ratio, 2),
                       f"{round(ratio * 100)}% capital letters", {"caps_ratio": round(ratio, 3)})
    # Three in a row is rare in prose and cheap to look for; only then the exact pattern.
    triple = _TRIPLE.search(body)
    repeated = (None if triple is None
                else _repeat_pattern(params.max_repeat).search(body, triple.start()))
    if repeated is not None:
        return Verdict(NAME, params.action, 0.6,
                       f"{repeated.group(1)!r} repeated {len(repeated.group(0))} times",
                       {"repeated": repeated.group(0), "span": list(repeated.span())})
    return Verdict(NAME, "allow")


RULE = Rule(NAME, frozenset({"comment"}), ShoutingParams, check)
