"""suspect_words: the site's suspect list (insults, spam phrases), held for a moderator to read."""

from typing import Literal

from moderation.rules.base import Rule, RuleContext, RuleParams, Verdict
from moderation.text.wordlists import matched_entries

NAME = "suspect_words"


class SuspectWordsParams(RuleParams):
    action: Literal["hold", "reject"] = "hold"


def check(ctx: RuleContext, params: SuspectWordsParams) -> Verdict:
    matched = matched_entries(ctx.site.wordlists, "suspect", ctx.item.body)
    if not matched:
        return Verdict(NAME, "allow")
    return Verdict(NAME, params.action, min(1.0, 0.5 + 0.1 * len(matched)),
                   "suspect: " + ", ".join(matched[:5]), {"matched": matched})


RULE = Rule(NAME, frozenset({"comment"}), SuspectWordsParams, check)
