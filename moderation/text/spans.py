"""Where in the comment as written a normalized word or phrase stands: spans to highlight.

Rules match normalized text ("f.u.c.k" is "fuck"); the moderators' page highlights the original.
Each token of the body (a run without spaces) is normalized alone and compared; a phrase matches
consecutive tokens. Spans are [start, end) code-point offsets into the body. Only items that a
rule flags pay for this, and a body is scanned up to `MAX_SCAN` characters.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from typing import TypeVar

from moderation.text.normalize import normalize

MAX_SCAN = 10_000
MAX_SPANS = 20
MAX_TOKEN = 64
K = TypeVar("K")
_TOKEN = re.compile(r"\S+")


@functools.lru_cache(maxsize=50_000)
def _token(token: str) -> tuple[int, int, tuple[str, ...]]:
    """(punctuation before, punctuation after, normalized words) of a token: "idiot," is the word
    "idiot" one character shorter. Tokens repeat across comments ("the", "article,"), so they are
    remembered; the cache is bounded by count and each entry by MAX_TOKEN characters."""
    start, end = 0, len(token)
    while start < end - 1 and not token[start].isalnum():
        start += 1
    while end > start + 1 and not token[end - 1].isalnum():
        end -= 1
    return start, len(token) - end, tuple(normalize(token, remember=False).split())


_DOUBLE = re.compile(r"([^\W\d_])\1")
_last_stream: tuple[str, list[tuple[int, int, str, str]]] = ("", [])


def _stream(body: str) -> list[tuple[int, int, str, str]]:
    """(start, end, normalized word, the word with doubled letters single) for each word of each
    whitespace-separated token: "IDIOOOT" normalizes to "idioot", and the list matched "idiot".
    The last body's are remembered, since every flagged verdict of a comment asks for them."""
    global _last_stream
    memo = _last_stream  # one read: another thread may replace it meanwhile
    if memo[0] is body:
        return memo[1]
    found = []
    for match in _TOKEN.finditer(body, 0, min(len(body), MAX_SCAN)):
        token = match.group()
        if len(token) > MAX_TOKEN:
            continue  # no word of a comment is that long: a run of junk, not worth a highlight
        lead, trail, words = _token(token)
        start, end = match.start() + lead, match.end() - trail
        for word in words:
            found.append((start, end, word, _DOUBLE.sub(r"\1", word)))
    _last_stream = (body, found)
    return found


def phrase_spans(body: str, phrases: Iterable[str]) -> list[list[int]]:
    """Spans of each normalized phrase; a phrase ending in "*" matches words it starts."""
    return phrase_spans_by_key(body, {0: phrases}).get(0, [])


def phrase_spans_by_key(body: str, phrases_by_key: Mapping[K, Iterable[str]]
                        ) -> dict[K, list[list[int]]]:
    """phrase_spans for several lists at once, in one pass over the body."""
    by_first: dict[str, list[tuple[K, list[str], bool]]] = {}
    prefixes: list[tuple[K, str]] = []
    for key, phrases in phrases_by_key.items():
        for phrase in phrases:
            words = phrase.rstrip("*").split()
            if not words:
                continue
            prefix = phrase.endswith("*")
            if prefix and len(words) == 1:
                prefixes.append((key, words[0]))
            else:
                by_first.setdefault(words[0], []).append((key, words, prefix))
    if not by_first and not prefixes:
        return {}
    stream = _stream(body)
    found: dict[K, list[list[int]]] = {}
    for i, (start, end, word, single) in enumerate(stream):
        for key, stem in prefixes:
            if word.startswith(stem) or single.startswith(stem):
                found.setdefault(key, []).append([start, end])
        candidates = by_first.get(word, [])
        if single != word:
            candidates = [*candidates, *by_first.get(single, ())]
        for key, words, prefix in candidates:
            following = stream[i:i + len(words)]
            if len(following) < len(words):
                continue
            last = following[-1]
            if all(want in (have, alt) for (_, _, have, alt), want
                   in zip(following[1:-1], words[1:-1], strict=True)) and (
                    (last[2].startswith(words[-1]) or last[3].startswith(words[-1])) if prefix
                    else words[-1] in (last[2], last[3])):
                found.setdefault(key, []).append([start, last[1]])
    return {key: _merged(spans)[:MAX_SPANS] for key, spans in found.items()}


def entry_phrases(entries: Iterable[str]) -> list[str]:
    """Word-list entries as the site wrote them ("Idiot*", "Kill yourself") as phrases."""
    return [normalize(e.rstrip("*"), remember=False) + ("*" if e.endswith("*") else "")
            for e in entries]


def _merged(spans: list[list[int]]) -> list[list[int]]:
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return merged


def text_spans(body: str, needles: Iterable[str]) -> list[list[int]]:
    """Spans of literal substrings (links as written), case aside, every occurrence."""
    spans = []
    scanned = body[:MAX_SCAN]
    for needle in dict.fromkeys(n for n in needles if n):
        spans += [[m.start(), m.end()]
                  for m in re.finditer(re.escape(needle), scanned, re.IGNORECASE)]
    return _merged(spans)[:MAX_SPANS]


# Quotation marks as pairs. An apostrophe opens only where a word starts and closes only where
# one ends, so "don't" and "it's" are never quotes.
_QUOTED = re.compile(r"""
      "[^"\n]{1,300}"
    | “[^”\n]{1,300}”
    | „[^“”\n]{1,300}[“”]
    | «[^»\n]{1,300}»
    | »[^«\n]{1,300}«
    | ‹[^›\n]{1,300}›
    | (?<![^\W_])['‘‚][^'’‘\n]{1,300}?['’](?![^\W_])
""", re.VERBOSE)


def quoted(body: str, span: list[int]) -> bool:
    """Whether the span stands inside quotation marks: a word quoted to be discussed ("calling
    them 'vermin' is wrong"), not said to anyone."""
    start, end = span
    return any(q.start() < start and end < q.end() for q in _QUOTED.finditer(body))


# Any opening quotation mark; an apostrophe counts only where a word does not go on through it.
_ANY_QUOTE = re.compile(r"[\"“„«»‹]|(?:^|[\s(])['‘‚]")


def all_quoted(body: str, phrases: Iterable[str]) -> bool:
    """Whether every place the phrases stand in the body is inside quotation marks."""
    if _ANY_QUOTE.search(body) is None:
        return False
    spans = phrase_spans(body, phrases)
    return bool(spans) and all(quoted(body, span) for span in spans)
