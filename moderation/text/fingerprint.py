"""Fingerprints of comment text for the duplicate rule: exact after normalization, and near.

`text_hash` is stored with every comment (sql/0002_rules.sql), so the same text across threads is
one indexed lookup. `similarity` compares two texts by their word shingles (Jaccard), for the few
recent comments of one commenter or IP that the duplicate rule loads; one changed word in twelve
keeps about 0.77, different comments on one topic stay under 0.5.
"""

from __future__ import annotations

import hashlib
import re
from collections import OrderedDict

from moderation.text.normalize import fold, normalize

_WORD = re.compile(r"\w+")


def text_hash(body: str) -> int | None:
    """A signed 64-bit hash of the normalized words; None for text without any."""
    return hash_of_normalized(normalize(body))


def hash_of_normalized(words: str) -> int | None:
    """`text_hash` of a text whose normalized form (`normalize.normalize`) is `words`."""
    if not words:
        return None
    return int.from_bytes(hashlib.blake2b(words.encode(), digest_size=8).digest(), "big",
                          signed=True)


# Near-duplicates are compared by their beginnings: a copy is a copy in its first few thousand
# characters, and comparing (and caching) whole 50,000-character bodies costs memory and time
# that a flood of long texts would choose.
COMPARED_CHARS = 4000
# Rough bytes of one cached shingle: the tuple or string object and its slot in the frozenset.
SHINGLE_BYTES = 120


class BoundedCache:
    """Least recently used values, bounded by the bytes they are estimated to hold, so that
    what callers choose (comment bodies) cannot grow the process without bound."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self._entries: OrderedDict[str, tuple[frozenset, int]] = OrderedDict()

    def get(self, key: str) -> frozenset | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        self._entries.move_to_end(key)
        return entry[0]

    def put(self, key: str, value: frozenset, size: int) -> None:
        if size > self.max_bytes // 8:
            return  # never one entry that crowds out most others
        old = self._entries.pop(key, None)
        if old is not None:
            self.bytes -= old[1]
        self._entries[key] = (value, size)
        self.bytes += size
        while self.bytes > self.max_bytes:
            _, (_, dropped) = self._entries.popitem(last=False)
            self.bytes -= dropped

    def __len__(self) -> int:
        return len(self._entries)


# Consecutive batches compare against the same recent comments of a busy commenter or IP.
SHINGLES = BoundedCache(max_bytes=32 * 1024 * 1024)


def shingles(body: str) -> frozenset[str | tuple[str, str]]:
    """The folded words and word pairs of a text's first COMPARED_CHARS characters: a changed
    word changes three of them.

    Folding (case, accents, look-alikes) without the rest of normalization costs a fifth as much;
    exact copies under full normalization are found by `text_hash` already.
    """
    compared = body[:COMPARED_CHARS]
    found = SHINGLES.get(compared)
    if found is None:
        words = _WORD.findall(fold(compared))
        # Pairs as tuples, built by zip in C (docs/decisions/0007); a tuple never equals a word,
        # so the similarity is the same as with joined strings.
        found = frozenset((*words, *zip(words, words[1:])))
        SHINGLES.put(compared, found, 2 * len(compared) + SHINGLE_BYTES * (len(found) + 1))
    return found


def similarity(a: frozenset, b: frozenset) -> float:
    if not a or not b:
        return 0.0
    common = len(a & b)  # the union's size follows; building it would cost as much again
    return common / (len(a) + len(b) - common)
