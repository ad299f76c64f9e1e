"""banned_words: the site's banned list (slurs, spam words), matched after normalization.

Each verdict's `details.spans` says where in the body the matches are, for the moderators' page:
`[start, end]` pairs of code-point offsets (Python str indices), end exclusive.
"""

import re
from typing import Literal

from moderation.rules.base import Rule, RuleContext, RuleParams, Verdict
from moderation.text.normalize import normalize
from moderation.text.wordlists import matched_entries

NAME = "banned_words"
MAX_SPANS = 20
_TOKEN = re.compile(r"\S+")
# Punctuation around a word that is not part of it ("idiot," "(moron)").
_AROUND = "\"'.,;:?!()[]{}<>«»“”‘’"


class BannedWordsParams(RuleParams):
    action: Literal["hold", "reject"] = "reject"


def match_spans(wordlists, name: str, matched: list[str], body: str) -> list[list[int]]:
    """Where the matched entries of list `name` are in `body`: the shortest runs of whitespace-
    separated words, each run checked with the list itself, so they match as the rule did
    (evasions spelled out letter by letter across many words are not located). Linear in the
    body; only called for a body that matched."""
    wordlist = wordlists.get(name)
    if wordlist is None or not matched:
        return []
    wanted = set(matched)
    longest = max(len(normalize(entry.rstrip("*")).split()) for entry in matched)
    tokens = [(m.start(), m.end()) for m in _TOKEN.finditer(body)]
    spans: list[list[int]] = []
    i = 0
    while i < len(tokens) and len(spans) < MAX_SPANS:
        step = 1
        for size in range(1, min(longest, len(tokens) - i) + 1):
            start, end = tokens[i][0], tokens[i + size - 1][1]
            if wanted.intersection(wordlist.find(body[start:end])):
                while start < end - 1 and body[start] in _AROUND:
                    start += 1
                while end - 1 > start and body[end - 1] in _AROUND:
                    end -= 1
                spans.append([start, end])
                step = size
                break
        i += step
    return spans


def check(ctx: RuleContext, params: BannedWordsParams) -> Verdict:
    matched = matched_entries(ctx.site.wordlists, "banned", ctx.item.body)
    if not matched:
        return Verdict(NAME, "allow")
    return Verdict(NAME, params.action, 1.0, "banned: " + ", ".join(matched[:5]),
                   {"matched": matched,
                    "spans": match_spans(ctx.site.wordlists, "banned", matched, ctx.item.body)})


RULE = Rule(NAME, frozenset({"comment"}), BannedWordsParams, check)
