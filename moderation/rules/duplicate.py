"""duplicate: the same text again from one commenter, or blasted across threads → reject.

Texts are compared after normalization (moderation.normalize), so case, spacing, leetspeak and
look-alike letters do not make a copy new. From the same commenter or IP, near-duplicates count
too: word-and-pair shingles with a Jaccard similarity of at least `near_similarity` (one changed
word in twelve still matches). Across commenters, the stored `text_hash` finds exact copies in
one indexed lookup; a blast is the same text in `blast_threads` or more threads within
`blast_window_s`. Texts shorter than `min_chars` ("Thanks!", "+1") are never duplicates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from pydantic import Field

from moderation.fingerprint import hash_of_normalized, shingles, similarity
from moderation.normalize import normalize
from moderation.rules.base import Item, Rule, RuleContext, RuleParams, Verdict

NAME = "duplicate"
# The longest windows the parameters allow: what the loader reads.
MAX_WINDOW = timedelta(days=1)
RECENT_PER_PERSON = 20
# Texts whose word counts differ more than this cannot reach the lowest near_similarity allowed.
MIN_LENGTH_RATIO = 0.25

# One flat row per earlier comment and item. Each branch is an index range scan, newest first:
# comments_by_commenter, comments_by_ip and comments_text_hash, all (site_id, key, created_at).
# UNION drops the comments that the commenter and the IP branches both find (usually most of
# them), and only those two carry a body: an exact copy from anyone needs none. Returning arrays
# of ROW()s instead cost three times as much, nearly all of it building and decoding the records
# (EXPLAIN ANALYZE: the same index scans; docs/rules.md has the figures).
RECENT = """
SELECT i.n, c.same_person, c.comment_id, c.thread, c.created_at, c.text_hash, c.body
  FROM unnest($1::text[], $2::bigint[], $3::text[], $4::bytea[], $5::timestamptz[], $6::bigint[])
       WITH ORDINALITY AS i(site_id, comment_id, commenter, ip_hash, created_at, text_hash, n)
 CROSS JOIN LATERAL (
       (SELECT true AS same_person, c.comment_id, c.thread, c.created_at, c.text_hash, c.body
          FROM comments c
         WHERE c.site_id = i.site_id AND c.commenter = i.commenter
           AND c.created_at > i.created_at - $7::interval AND c.created_at <= i.created_at
           AND c.comment_id <> i.comment_id AND c.status <> 'deleted'
         ORDER BY c.created_at DESC LIMIT $8)
       UNION
       (SELECT true, c.comment_id, c.thread, c.created_at, c.text_hash, c.body
          FROM comments c
         WHERE i.ip_hash IS NOT NULL AND c.site_id = i.site_id AND c.ip_hash = i.ip_hash
           AND c.created_at > i.created_at - $7::interval AND c.created_at <= i.created_at
           AND c.comment_id <> i.comment_id AND c.status <> 'deleted'
         ORDER BY c.created_at DESC LIMIT $8)
       UNION ALL
       (SELECT false, c.comment_id, c.thread, c.created_at, NULL, NULL
          FROM comments c
         WHERE i.text_hash IS NOT NULL AND c.site_id = i.site_id AND c.text_hash = i.text_hash
           AND c.created_at > i.created_at - $7::interval AND c.created_at <= i.created_at
           AND c.comment_id <> i.comment_id AND c.status <> 'deleted'
         ORDER BY c.created_at DESC LIMIT 50)) c"""


@dataclass(frozen=True, slots=True)
class Likeness:
    """What the loader found for one comment: its normalized length and earlier look-alikes."""

    chars: int
    earlier: tuple[Earlier, ...]


@dataclass(frozen=True, slots=True)
class Earlier:
    """An earlier comment like this one."""

    comment_id: int
    thread: str
    created_at: datetime
    similarity: float
    same_person: bool


class DuplicateParams(RuleParams):
    action: Literal["hold", "reject"] = "reject"
    # The same commenter (or IP) repeating itself within this window.
    window_s: int = Field(default=24 * 3600, ge=60, le=24 * 3600)
    near_similarity: float = Field(default=0.7, ge=0.3, le=1.0)
    blast_threads: int = Field(default=3, ge=2, le=50)
    blast_window_s: int = Field(default=3600, ge=60, le=24 * 3600)
    min_chars: int = Field(default=20, ge=1, le=1000)


async def load_facts(conn, items: Sequence[Item], now: datetime) -> dict[tuple, Likeness]:
    """Earlier comments with the same or a similar text, per item, in one query."""
    comments = [item for item in items if item.kind == "comment" and item.body]
    if not comments:
        return {}
    normalized = [normalize(i.body) for i in comments]
    hashes = [hash_of_normalized(words) for words in normalized]
    rows = await conn.fetch(
        RECENT, [i.site_id for i in comments], [i.item_id for i in comments],
        [i.commenter or "" for i in comments], [i.ip_hash for i in comments],
        [i.created_at for i in comments], hashes, MAX_WINDOW, RECENT_PER_PERSON)
    shingled: dict[str, frozenset] = {}  # a batch often repeats texts: shingle each once

    def shingles_of(body: str) -> frozenset:
        found = shingled.get(body)
        if found is None:
            found = shingled[body] = shingles(body)
        return found

    found_by_item: dict[int, dict[int, Earlier]] = {}
    for n, same_person, comment_id, thread, created_at, other_hash, body in rows:
        index = n - 1
        found = found_by_item.setdefault(index, {})
        if not same_person:
            # The same text from anyone; the same person's copy (found by its own branch) wins.
            if comment_id not in found:
                found[comment_id] = Earlier(comment_id, thread, created_at, 1.0, False)
            continue
        earlier = found.get(comment_id)
        if earlier is not None and earlier.same_person:
            continue
        mine_hash, mine = hashes[index], comments[index].body
        if other_hash == mine_hash and mine_hash is not None:
            alike = 1.0
        elif _comparable(mine, body):
            alike = similarity(shingles_of(mine), shingles_of(body))
        else:
            continue
        found[comment_id] = Earlier(comment_id, thread, created_at, alike, True)
    facts: dict[tuple, Likeness] = {}
    for index, item in enumerate(comments):
        found = found_by_item.get(index)
        earlier = tuple(e for e in found.values() if e.similarity > 0) if found else ()
        facts[item.key] = Likeness(len(normalized[index]) if found else 0, earlier)
    return facts


def _comparable(a: str, b: str) -> bool:
    """Cheap bound before shingling: similar texts have similar numbers of words."""
    words_a, words_b = a.count(" ") + 1, b.count(" ") + 1
    return min(words_a, words_b) >= MIN_LENGTH_RATIO * max(words_a, words_b)


def check(ctx: RuleContext, params: DuplicateParams) -> Verdict:
    likeness: Likeness | None = ctx.facts.get(NAME)
    if likeness is None or not likeness.earlier or likeness.chars < params.min_chars:
        return Verdict(NAME, "allow")
    item = ctx.item
    alike = [e for e in likeness.earlier if e.similarity >= params.near_similarity]
    window = timedelta(seconds=params.window_s)
    repeated = [e for e in alike if e.same_person and item.created_at - e.created_at <= window]
    if repeated:
        best = max(repeated, key=lambda e: e.similarity)
        kind = "the same text" if best.similarity >= 1.0 else "nearly the same text"
        return Verdict(NAME, params.action, round(best.similarity, 2),
                       f"{kind} as comment {best.comment_id} by the same commenter",
                       {"duplicate_of": str(best.comment_id),
                        "similarity": round(best.similarity, 3)})
    blast_window = timedelta(seconds=params.blast_window_s)
    threads = {item.thread} | {e.thread for e in alike
                               if item.created_at - e.created_at <= blast_window}
    if len(threads) >= params.blast_threads:
        return Verdict(NAME, params.action, 1.0,
                       f"the same text in {len(threads)} threads within "
                       f"{params.blast_window_s // 60} minutes",
                       {"threads": sorted(t for t in threads if t)[:20]})
    return Verdict(NAME, "allow")


RULE = Rule(NAME, frozenset({"comment"}), DuplicateParams, check, load_facts)
