"""A site's word lists compiled into Aho-Corasick automata for whole-word matching.

Entries are words or phrases, normalized with the same `moderation.text.normalize` as the comments, so
"Fuck", "f.u.c.k" and "fück" are one entry. An entry matches whole words only: "ass" does not
match "classic" or "assassin". An entry ending in "*" matches as a word prefix ("idiot*" matches
"idiots" and "idiotic"). Compile once per list version; `WordListCache` keeps the automata so
that workers reuse them across batches.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from ahocorasick_rs import AhoCorasick, MatchKind

from moderation.text.normalize import normalize, word_forms
from moderation.text.spans import all_quoted, entry_phrases


@dataclass(frozen=True, slots=True, eq=False)
class WordList:
    """A compiled word list: `find(text)` gives the entries (as the site wrote them) it holds."""

    version: int
    entries: tuple[str, ...]
    # Pattern i of the automaton stands for entries[entry_of_pattern[i]].
    entry_of_pattern: tuple[int, ...] = field(repr=False)
    automaton: AhoCorasick | None = field(repr=False)

    def match(self, *forms: str) -> list[str]:
        """Entries found in normalized forms " w w w " (see `normalize.word_forms`), in order."""
        if self.automaton is None:
            return []
        found: dict[int, None] = {}
        for form in forms:
            # Overlapping, so that " ass " and " hole " both match in " ass hole ".
            for pattern, _, _ in self.automaton.find_matches_as_indexes(form, overlapping=True):
                found[self.entry_of_pattern[pattern]] = None
        return [self.entries[index] for index in sorted(found)]

    def find(self, text: str) -> list[str]:
        """Entries found in raw text."""
        if self.automaton is None:
            return []
        return self.match(*word_forms(text))


def compile_wordlist(words: Iterable[str], version: int = 0) -> WordList:
    """Normalizes the entries and builds the automaton; entries without a letter or digit go."""
    entries: list[str] = []
    patterns: dict[str, int] = {}
    for word in words:
        word = word.strip()
        prefix = word.endswith("*")
        normalized = normalize(word.rstrip("*"))
        if not any(c.isalnum() for c in normalized):
            continue
        pattern = f" {normalized}" if prefix else f" {normalized} "
        if pattern in patterns:
            continue
        patterns[pattern] = len(entries)
        entries.append(word)
    automaton = (AhoCorasick(list(patterns), matchkind=MatchKind.Standard) if patterns else None)
    return WordList(version, tuple(entries), tuple(patterns.values()), automaton)


class WordListCache:
    """Compiled lists by (site, list name, version); the least recently used go past `size`.

    One per process, owned by the app or the worker (not a module global); a new version of a
    list simply misses and compiles.
    """

    def __init__(self, size: int = 256) -> None:
        self._size = size
        self._lists: OrderedDict[tuple[str, str, int], WordList] = OrderedDict()

    def get(self, site_id: str, name: str, version: int, words: Sequence[str]) -> WordList:
        key = (site_id, name, version)
        wordlist = self._lists.get(key)
        if wordlist is None:
            wordlist = compile_wordlist(words, version)
            self._lists[key] = wordlist
            if len(self._lists) > self._size:
                self._lists.popitem(last=False)
        else:
            self._lists.move_to_end(key)
        return wordlist

    def __len__(self) -> int:
        return len(self._lists)


def said_entries(wordlists, name: str, text: str) -> list[str]:
    """The entries of the site's list `name` the text says; none when the site has no such list.
    An entry quoted to be discussed ('Begriffe wie "Kanake"', "is 'Lügenpresse' the word of the
    year?") is not said to anyone; quotes are looked for only after a match."""
    wordlist = wordlists.get(name)
    matched = wordlist.find(text) if wordlist is not None else []
    return [entry for entry in matched if not all_quoted(text, entry_phrases([entry]))]
