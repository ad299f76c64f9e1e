"""Answers about a comment's text that several rules ask for in turn, remembered for the last text."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def remember_last_text(compute: Callable[[str], T]) -> Callable[[str], T]:
    """`compute`, remembering its answer for the last text it was given (keyed by the text
    object, so the check costs nothing): the rules judging one comment ask in turn."""
    last: tuple[str, T] | None = None

    def remembered(text: str) -> T:
        nonlocal last
        memo = last  # one read: another thread may replace it meanwhile
        if memo is not None and memo[0] is text:
            return memo[1]
        answer = compute(text)
        last = (text, answer)
        return answer

    remembered.__doc__ = compute.__doc__
    return remembered
