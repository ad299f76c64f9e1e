"""duplicate: the same text again from one commenter, or blasted across threads → reject.

Texts are compared after normalization (moderation.text.normalize), so case, spacing, leetspeak and
look-alike letters do not make a copy new. From the same commenter or IP, near-duplicates count
too: word-and-pair shingles with a Jaccard similarity of at least `near_similarity` (one changed
word in twelve still matches). Across commenters, the stored `text_hash` finds exact copies in
one indexed lookup; a blast is the same text in `blast_threads` or more threads within
`blast_window_s`. Texts shorter than `min_chars` ("Thanks!", "+1") are never duplicates. The
look-alikes are read and compared with the other comment rules' facts (rules/comment_facts.py).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import Field

from moderation.rules.base import Rule, RuleContext, RuleParams, Verdict
from moderation.rules.facts.comments import Likeness, load_facts

NAME = "duplicate"


class DuplicateParams(RuleParams):
    action: Literal["hold", "reject"] = "reject"
    # The same commenter (or IP) repeating itself within this window.
    window_s: int = Field(default=24 * 3600, ge=60, le=24 * 3600)
    near_similarity: float = Field(default=0.7, ge=0.3, le=1.0)
    blast_threads: int = Field(default=3, ge=2, le=50)
    blast_window_s: int = Field(default=3600, ge=60, le=24 * 3600)
    min_chars: int = Field(default=20, ge=1, le=1000)


def check(ctx: RuleContext, params: DuplicateParams) -> Verdict:
    likeness: Likeness | None = ctx.facts.get(NAME)
    if likeness is None or not likeness.earlier or likeness.chars < params.min_chars:
        return Verdict(NAME, "allow")
    item = ctx.item
    alike = [e for e in likeness.earlier if e.similarity >= params.near_similarity]
    window = timedelta(seconds=params.window_s)
    repeated = [e for e in alike if e.same_person and item.created_at - e.created_at <= window]
    if repeated:
        best = max(repeated, key=lambda e: e.similarity)
        kind = "the same text" if best.similarity >= 1.0 else "nearly the same text"
        return Verdict(NAME, params.action, round(best.similarity, 2),
                       f"{kind} as comment {best.comment_id} by the same commenter",
                       {"duplicate_of": str(best.comment_id),
                        "similarity": round(best.similarity, 3)})
    blast_window = timedelta(seconds=params.blast_window_s)
    threads = {item.thread} | {e.thread for e in alike
                               if item.created_at - e.created_at <= blast_window}
    if len(threads) >= params.blast_threads:
        return Verdict(NAME, params.action, 1.0,
                       f"the same text in {len(threads)} threads within "
                       f"{params.blast_window_s // 60} minutes",
                       {"threads": sorted(t for t in threads if t)[:20]})
    return Verdict(NAME, "allow")


RULE = Rule(NAME, frozenset({"comment"}), DuplicateParams, check, load_facts)
