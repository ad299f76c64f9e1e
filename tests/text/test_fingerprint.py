"""Fingerprints: the near-duplicate shingles compare beginnings and their cache is bounded by bytes."""

from __future__ import annotations

from moderation.text import fingerprint
from moderation.text.fingerprint import BoundedCache, shingles, similarity


def test_shingles_of_long_texts_compare_their_beginnings():
    start = " ".join(f"word{n}" for n in range(1000))
    assert similarity(shingles(start + " tail one"), shingles(start + " something else")) == 1.0
    assert similarity(shingles("a quick brown fox"), shingles("a slow green frog")) < 0.2


def test_the_shingles_cache_stays_within_its_bytes_whatever_is_posted():
    """90 distinct 49 KB bodies once grew the process by 150 MB and it stayed there."""
    for n in range(300):
        shingles(f"flood {n} " + " ".join(f"w{n}x{k}" for k in range(7000)))
    cache = fingerprint.SHINGLES
    assert 0 < cache.bytes <= cache.max_bytes
    assert cache.max_bytes <= 64 * 1024 * 1024


def test_bounded_cache_drops_the_least_recently_used_past_its_bytes():
    cache = BoundedCache(max_bytes=1000)
    for key in "abcdefghij":
        cache.put(key, frozenset({key}), 100)
    assert cache.get("a") is not None  # now the most recently used
    cache.put("k", frozenset({"k"}), 100)
    assert cache.get("b") is None and cache.get("a") is not None
    assert cache.bytes == 1000 and len(cache) == 10
    cache.put("huge", frozenset(), 200)  # over an eighth of the cache: not kept
    assert cache.get("huge") is None and cache.bytes == 1000
