"""banned_words: the site's banned list (slurs, spam words), matched after normalization."""

from typing import Literal

from moderation.rules.base import Rule, RuleContext, RuleParams, Verdict
from moderation.text.spans import all_quoted, entry_phrases
from moderation.text.wordlists import matched_entries

NAME = "banned_words"


class BannedWordsParams(RuleParams):
    action: Literal["hold", "reject"] = "reject"


def check(ctx: RuleContext, params: BannedWordsParams) -> Verdict:
    body = ctx.item.body
    matched = matched_entries(ctx.site.wordlists, "banned", body)
    # A word quoted to be discussed ('Begriffe wie "Kanake"', "the word 'X' was on the sign") is
    # not said to anyone: not rejected for it. The quotes are looked for only after a match.
    matched = [entry for entry in matched if not all_quoted(body, entry_phrases([entry]))]
    if not matched:
        return Verdict(NAME, "allow")
    return Verdict(NAME, params.action, 1.0, "banned: " + ", ".join(matched[:5]),
                   {"matched": matched, "phrases": entry_phrases(matched)})


RULE = Rule(NAME, frozenset({"comment"}), BannedWordsParams, check)
