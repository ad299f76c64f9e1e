"""flood: too many comments from one commenter or one IP in a short window → hold.

Defaults let a busy office behind one IP through (40 a minute per IP) while a script posting 100
a minute is stopped after its 40th; one commenter may post 8 a minute. Counts run up to the
comment's own time, so a replay (dry-run) sees what the worker saw. Comments stored by one
statement share a timestamp (an import, never separate HTTP requests) and do not count as a burst.
The counts (for each of WINDOWS) are read with the other comment rules' facts
(rules/comment_facts.py).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from moderation.rules.base import Rule, RuleContext, RuleParams, Verdict
from moderation.rules.facts.comments import load_facts

NAME = "flood"


class FloodParams(RuleParams):
    action: Literal["hold", "reject"] = "hold"
    window_s: Literal[60, 600, 3600] = 60
    # The most comments (this one included) allowed in the window.
    max_per_commenter: int = Field(default=8, ge=1, le=10_000)
    max_per_ip: int = Field(default=40, ge=1, le=10_000)


def check(ctx: RuleContext, params: FloodParams) -> Verdict:
    facts = ctx.facts.get(NAME)
    if not facts:
        return Verdict(NAME, "allow")
    window = params.window_s
    by_commenter = facts.get(f"commenter_{window}", 0) + 1
    by_ip = facts.get(f"ip_{window}", 0) + 1
    details = {"window_s": window, "by_commenter": by_commenter, "by_ip": by_ip}
    if by_commenter > params.max_per_commenter:
        return Verdict(NAME, params.action, min(1.0, by_commenter / params.max_per_commenter / 2),
                       f"{by_commenter} comments from this commenter in {window} s, "
                       f"more than {params.max_per_commenter}", details)
    if by_ip > params.max_per_ip:
        return Verdict(NAME, params.action, min(1.0, by_ip / params.max_per_ip / 2),
                       f"{by_ip} comments from this IP in {window} s, more than {params.max_per_ip}",
                       details)
    return Verdict(NAME, "allow", 0.0, "", details)


RULE = Rule(NAME, frozenset({"comment"}), FloodParams, check, load_facts)
