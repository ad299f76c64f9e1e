"""banned_words: the site's banned list (slurs, spam words), matched after normalization."""

from typing import Literal

from moderation.rules.base import Rule, RuleContext, RuleParams, Verdict
from moderation.text.spans import entry_phrases
from moderation.text.wordlists import said_entries

NAME = "banned_words"


class BannedWordsParams(RuleParams):
    action: Literal["hold", "reject"] = "reject"


def check(ctx: RuleContext, params: BannedWordsParams) -> Verdict:
    # Words quoted to be discussed ("the word 'X' was on the sign") are not rejected.
    matched = said_entries(ctx.site.wordlists, "banned", ctx.item.body)
    if not matched:
        return Verdict(NAME, "allow")
    return Verdict(NAME, params.action, 1.0, "banned: " + ", ".join(matched[:5]),
                   {"matched": matched, "phrases": entry_phrases(matched)})


RULE = Rule(NAME, frozenset({"comment"}), BannedWordsParams, check)
