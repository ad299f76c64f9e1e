"""Fingerprints of comment text for the duplicate rule: exact after normalization, and near.

`text_hash` is stored with every comment (sql/0002_rules.sql), so the same text across threads is
one indexed lookup. `similarity` compares two texts by their word shingles (Jaccard), for the few
recent comments of one commenter or IP that the duplicate rule loads; one changed word in twelve
keeps about 0.77, different comments on one topic stay under 0.5.
"""

from __future__ import annotations

import functools
import hashlib
import re

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


# Consecutive batches compare against the same recent comments of a busy commenter or IP.
@functools.lru_cache(maxsize=8192)
def shingles(body: str) -> frozenset[str | tuple[str, str]]:
    """The folded words and word pairs of a text: a changed word changes three of them.

    Folding (case, accents, look-alikes) without the rest of normalization costs a fifth as much;
    exact copies under full normalization are found by `text_hash` already.
    """
    words = _WORD.findall(fold(body))
    # Pairs as tuples: zip builds them in C, three times faster than joining strings, and a
    # tuple never equals a word, so the similarity is the same.
    return frozenset((*words, *zip(words, words[1:])))


def similarity(a: frozenset, b: frozenset) -> float:
    if not a or not b:
        return 0.0
    common = len(a & b)  # the union's size follows; building it would cost as much again
    return common / (len(a) + len(b) - common)
