"""suspect_words: the site's suspect list (insults, spam phrases): evidence, or a hold alone.

With `action: score` (the default) a suspect entry adds `points` toward both spam and abuse, and
each further entry `more_points`: a comment that also reads as abusive or spammy is held, while
"Dick Advocaat" or a word quoted to discuss it is published. `hold` brings back the old
behaviour: any entry holds the comment for a moderator.
"""

from typing import Literal

from pydantic import Field

from moderation.rules.base import Rule, RuleContext, RuleParams, Verdict, evidence
from moderation.text.spans import entry_phrases
from moderation.text.wordlists import said_entries

NAME = "suspect_words"


class SuspectWordsParams(RuleParams):
    action: Literal["score", "hold", "reject"] = "score"
    points: float = Field(default=0.5, ge=0.0, le=20.0)
    more_points: float = Field(default=0.5, ge=0.0, le=20.0)


def check(ctx: RuleContext, params: SuspectWordsParams) -> Verdict:
    # Words quoted to be discussed ("is 'Lügenpresse' the word of the year?") do not count.
    matched = said_entries(ctx.site.wordlists, "suspect", ctx.item.body)
    if not matched:
        return Verdict(NAME, "allow")
    reason = "suspect: " + ", ".join(matched[:5])
    details = {"matched": matched, "phrases": entry_phrases(matched)}
    if params.action == "score":
        return evidence(NAME, "any", params.points + params.more_points * (len(matched) - 1),
                        reason, details)
    return Verdict(NAME, params.action, min(1.0, 0.5 + 0.1 * len(matched)), reason, details)


RULE = Rule(NAME, frozenset({"comment"}), SuspectWordsParams, check)
