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

from moderation.fingerprint import shingles, similarity, text_hash
from moderation.normalize import normalize
from moderation.rules.base import Item, Rule, RuleContext, RuleParams, Verdict

NAME = "duplicate"
# The longest windows the parameters allow: what the loader reads.
MAX_WINDOW = timedelta(days=1)
RECENT_PER_PERSON = 20
# Texts whose word counts differ more than this cannot reach the lowest near_similarity allowed.
MIN_LENGTH_RATIO = 0.25

RECENT = """
SELECT i.n,
       ARRAY(SELECT ROW(c.comment_id, c.thread, c.created_at, c.text_hash, c.body)
               FROM comments c
              WHERE c.site_id = i.site_id AND c.commenter = i.commenter
                AND c.created_at > i.created_at - $7::interval AND c.created_at <= i.created_at
                AND c.comment_id <> i.comment_id AND c.status <> 'deleted'
              ORDER BY c.created_at DESC LIMIT $8) AS by_commenter,
       ARRAY(SELECT ROW(c.comment_id, c.thread, c.created_at, c.text_hash, c.body)
               FROM comments c
              WHERE i.ip_hash IS NOT NULL AND c.site_id = i.site_id AND c.ip_hash = i.ip_hash
                AND c.created_at > i.created_at - $7::interval AND c.created_at <= i.created_at
                AND c.comment_id <> i.comment_id AND c.status <> 'deleted'
              ORDER BY c.created_at DESC LIMIT $8) AS by_ip,
       ARRAY(SELECT ROW(c.comment_id, c.thread, c.created_at)
               FROM comments c
              WHERE i.text_hash IS NOT NULL AND c.site_id = i.site_id
                AND c.text_hash = i.text_hash
                AND c.created_at > i.created_at - $7::interval AND c.created_at <= i.created_at
                AND c.comment_id <> i.comment_id AND c.status <> 'deleted'
              ORDER BY c.created_at DESC LIMIT 50) AS same_text
  FROM unnest($1::text[], $2::bigint[], $3::text[], $4::bytea[], $5::timestamptz[], $6::bigint[])
       WITH ORDINALITY AS i(site_id, comment_id, commenter, ip_hash, created_at, text_hash, n)"""


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
    hashes = [text_hash(i.body) for i in comments]
    rows = await conn.fetch(
        RECENT, [i.site_id for i in comments], [i.item_id for i in comments],
        [i.commenter or "" for i in comments], [i.ip_hash for i in comments],
        [i.created_at for i in comments], hashes, MAX_WINDOW, RECENT_PER_PERSON)
    shingled: dict[str, frozenset[str]] = {}  # a batch often repeats texts: shingle each once

    def shingles_of(body: str) -> frozenset[str]:
        found = shingled.get(body)
        if found is None:
            found = shingled[body] = shingles(body)
        return found

    facts: dict[tuple, Likeness] = {}
    for row in rows:
        index = row["n"] - 1
        item, mine_hash = comments[index], hashes[index]
        found: dict[int, Earlier] = {}
        for comment_id, thread, created_at, other_hash, body in (*row["by_commenter"],
                                                                 *row["by_ip"]):
            if comment_id in found:
                continue
            if other_hash == mine_hash and mine_hash is not None:
                alike = 1.0
            elif _comparable(item.body, body):
                alike = similarity(shingles_of(item.body), shingles_of(body))
            else:
                continue
            found[comment_id] = Earlier(comment_id, thread, created_at, alike, True)
        for comment_id, thread, created_at in row["same_text"]:
            if comment_id not in found:
                found[comment_id] = Earlier(comment_id, thread, created_at, 1.0, False)
        chars = len(normalize(item.body)) if found else 0
        facts[item.key] = Likeness(chars, tuple(e for e in found.values() if e.similarity > 0))
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
