"""suspect_words: the site's suspect list (insults, spam phrases), held for a moderator to read;
`details.spans` locate the matches as for banned_words."""

from typing import Literal

from moderation.rules.banned_words import match_spans
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
                   "suspect: " + ", ".join(matched[:5]),
                   {"matched": matched,
                    "spans": match_spans(ctx.site.wordlists, "suspect", matched, ctx.item.body)})


RULE = Rule(NAME, frozenset({"comment"}), SuspectWordsParams, check)
