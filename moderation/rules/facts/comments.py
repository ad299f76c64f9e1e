"""What the comment rules know of earlier comments, read for a whole batch in one statement.

commenter (ban of the commenter or of their address, earlier comments by status), flood
(comments by the commenter and by the IP in the last 1, 10 and 60 minutes), duplicate (earlier
comments with the same or a similar text) and learned_spam (the site's trained totals) all read
the same index ranges of `comments`, so one statement per batch answers for all four instead of
one each: `load` returns facts by rule name. The commenter's history and the flood's per-
commenter counts come from the same scan of comments_by_commenter. learned_spam reads its token
counts in a second statement, only for sites whose moderators have decided both spam and ham
(moderation.review.learned_spam).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from moderation.db.pool import Connection
from moderation.review import learned_spam
from moderation.rules.base import Item
from moderation.text.fingerprint import shingles, similarity, text_hash
from moderation.text.normalize import normalize

# flood: the windows counted, in seconds.
WINDOWS = (60, 600, 3600)
# duplicate: the longest windows its parameters allow (what is read), and how many recent
# comments of one commenter or IP are compared.
MAX_WINDOW = timedelta(days=1)
RECENT_PER_PERSON = 20
# Texts whose word counts differ more than this cannot reach the lowest near_similarity allowed.
MIN_LENGTH_RATIO = 0.25
# commenter: the history is the commenter's latest this many comments before the one judged (the
# most that `trusted_after` may ask for; the scan reads one more, the judged comment itself).
# Besides bounding the work for a prolific commenter, the ordered, limited scan keeps the plan on
# comments_by_commenter whatever the statistics say: when one commenter wrote most of the
# comments (a spam flood, or a load test), a generic plan estimated half the table per commenter
# and read all of `comments` for every comment judged.
HISTORY_LIMIT = 10_000

# Per item, one summary row (same_person NULL): the commenter's ban, history and counts, the IP's
# counts and the site's spam totals; then one row per earlier look-alike (the duplicate rule).
# Every lookup is a probe per item (LATERAL; LIMIT 1 keeps a key lookup from being flattened into
# a join): a generic plan hash-joined all of the site's commenters for each batch.
# The look-alikes are three index range scans, newest first: comments_by_commenter,
# comments_by_ip and comments_text_hash, all (site_id, key, created_at). UNION drops the comments
# that the commenter and the IP branches both find (usually most of them), and only those two
# carry a body: an exact copy from anyone needs none. Rows, not arrays of ROW()s: building and
# decoding records is what costs (docs/decisions/0007).
COMMENT_FACTS = f"""
WITH i AS (
    SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::bytea[], $5::timestamptz[],
                         $6::bigint[])
                  WITH ORDINALITY AS i(site_id, comment_id, commenter, ip_hash, created_at,
                                       text_hash, n)
)
SELECT i.n, NULL::boolean AS same_person, NULL::bigint AS comment_id, NULL::text AS thread,
       NULL::timestamptz AS created_at, NULL::bigint AS text_hash, NULL::text AS body,
       m.banned_until, m.ban_reason, ab.banned_until AS address_banned_until,
       ab.reason AS address_ban_reason, h.earlier, h.approved, h.rejected,
       h.in_60 AS commenter_60, h.in_600 AS commenter_600, h.in_3600 AS commenter_3600,
       p.in_60 AS ip_60, p.in_600 AS ip_600, p.in_3600 AS ip_3600, t.spam_count, t.ham_count,
       t.shares
  FROM i
  LEFT JOIN LATERAL (
       SELECT m.banned_until, m.ban_reason FROM commenters m
        WHERE m.site_id = i.site_id AND m.commenter = i.commenter LIMIT 1) m ON true
  LEFT JOIN LATERAL (
       -- An anonymous commenter writing from the address of a banned anonymous one.
       SELECT a.banned_until, a.reason FROM address_bans a
        WHERE i.ip_hash IS NOT NULL AND i.commenter LIKE 'anon:%'
          AND a.site_id = i.site_id AND a.address_hash = i.ip_hash
          AND a.banned_until > i.created_at
        ORDER BY a.banned_until DESC LIMIT 1) ab ON true
  LEFT JOIN LATERAL (
       SELECT t.spam_count, t.ham_count, s.settings #>> '{{rules,learned_spam,share}}' = 'true'
              AS shares
         FROM sites s LEFT JOIN spam_totals t ON t.site_id = s.site_id
        WHERE s.site_id = i.site_id LIMIT 1
       ) t ON true
 CROSS JOIN LATERAL (
       SELECT count(*) FILTER (WHERE c.comment_id < i.comment_id
                                 AND c.status <> 'deleted') AS earlier,
              count(*) FILTER (WHERE c.comment_id < i.comment_id
                                 AND c.status = 'approved') AS approved,
              count(*) FILTER (WHERE c.comment_id < i.comment_id
                                 AND c.status = 'rejected') AS rejected,
              count(*) FILTER (WHERE c.created_at >= i.created_at - interval '60 s'
                                 AND c.created_at < i.created_at) AS in_60,
              count(*) FILTER (WHERE c.created_at >= i.created_at - interval '600 s'
                                 AND c.created_at < i.created_at) AS in_600,
              count(*) FILTER (WHERE c.created_at >= i.created_at - interval '3600 s'
                                 AND c.created_at < i.created_at) AS in_3600
         FROM (SELECT c.comment_id, c.status, c.created_at FROM comments c
                WHERE c.site_id = i.site_id AND c.commenter = i.commenter
                  AND c.created_at <= i.created_at  -- a backlog's newer comments take no place
                ORDER BY c.created_at DESC LIMIT {HISTORY_LIMIT + 1}) c) h
 CROSS JOIN LATERAL (
       SELECT count(*) FILTER (WHERE x.created_at >= i.created_at - interval '60 s') AS in_60,
              count(*) FILTER (WHERE x.created_at >= i.created_at - interval '600 s') AS in_600,
              count(*) AS in_3600
         FROM comments x
        WHERE i.ip_hash IS NOT NULL AND x.site_id = i.site_id AND x.ip_hash = i.ip_hash
          AND x.created_at >= i.created_at - interval '3600 s'
          AND x.created_at < i.created_at) p
UNION ALL
SELECT i.n, c.same_person, c.comment_id, c.thread, c.created_at, c.text_hash, c.body,
       NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       NULL
  FROM i
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


@dataclass(slots=True)  # a value; not frozen for speed, like base.Verdict
class History:
    """commenter: the commenter's ban and earlier comments."""

    banned_until: datetime | None = None
    ban_reason: str | None = None
    # The ban is on the address the comment came from (a banned anonymous commenter's), not on
    # this commenter's key.
    by_address: bool = False
    earlier: int = 0  # comments before this one, any status but deleted
    approved: int = 0
    rejected: int = 0


@dataclass(slots=True)  # a value; not frozen for speed, like base.Verdict
class Earlier:
    """duplicate: an earlier comment like this one."""

    comment_id: int
    thread: str
    created_at: datetime
    similarity: float
    same_person: bool


@dataclass(slots=True)  # a value; not frozen for speed, like base.Verdict
class Likeness:
    """duplicate: what the loader found for one comment: its normalized length and earlier
    look-alikes."""

    chars: int
    earlier: tuple[Earlier, ...]


@dataclass(slots=True)  # a value; not frozen for speed, like base.Verdict
class Evidence:
    """learned_spam: how many decisions the site's classifier has learned, and its score for
    this comment."""

    spam_total: int
    ham_total: int
    score: float
    tokens: tuple[str, ...]  # the most spammy of the comment's tokens
    # What every site that shares its lessons taught together (learned_spam `share`), if this
    # site shares.
    shared: Evidence | None = None


async def load_facts(conn: Connection, items: Sequence[Item], now: datetime) -> dict[str, dict[tuple, Any]]:
    """The facts of commenter, flood, duplicate and learned_spam for a batch, by rule name."""
    comments = [item for item in items if item.kind == "comment"]
    if not comments:
        return {}
    # The fingerprint stored with the comment is the one of its body: no need to normalize again.
    hashes = [i.text_hash if i.text_hash is not None else text_hash(i.body) for i in comments]
    rows = await conn.fetch(
        COMMENT_FACTS, [i.site_id for i in comments], [i.item_id for i in comments],
        [i.commenter or "" for i in comments], [i.ip_hash for i in comments],
        [i.created_at for i in comments], hashes, MAX_WINDOW, RECENT_PER_PERSON)
    summaries, lookalikes = {}, []  # summary rows have no look-alike: same_person is NULL
    for row in rows:
        if row["same_person"] is None:
            summaries[row["n"] - 1] = row
        else:
            lookalikes.append(row)
    with_commenter = [(n, item) for n, item in enumerate(comments) if item.commenter]
    return {
        "commenter": {item.key: _history(summaries[n]) for n, item in with_commenter},
        "flood": {item.key: _counts(summaries[n]) for n, item in with_commenter},
        "duplicate": _likeness(comments, hashes, lookalikes),
        "learned_spam": await _evidence(conn, comments, summaries),
    }


def _history(row) -> History:
    own, address = _aware(row["banned_until"]), _aware(row["address_banned_until"])
    if address is not None and (own is None or address > own):
        return History(address, row["address_ban_reason"], True, row["earlier"],
                       row["approved"], row["rejected"])
    return History(own, row["ban_reason"], False, row["earlier"], row["approved"],
                   row["rejected"])


def _aware(moment: datetime | None) -> datetime | None:
    # asyncpg reads 'infinity' (a permanent ban) as a naive datetime.max.
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment


def _counts(row) -> dict[str, int]:
    return {"commenter_60": row["commenter_60"], "commenter_600": row["commenter_600"],
            "commenter_3600": row["commenter_3600"], "ip_60": row["ip_60"],
            "ip_600": row["ip_600"], "ip_3600": row["ip_3600"]}


def _likeness(comments: list[Item], hashes: list[int | None], rows: list) -> dict[tuple, Likeness]:
    """Each comment with a text, and its earlier look-alikes (the same person's near copies are
    compared by shingles here; an exact copy from anyone has the same hash)."""
    shingled: dict[str, frozenset] = {}  # a batch often repeats texts: shingle each once

    def shingles_of(body: str) -> frozenset:
        found = shingled.get(body)
        if found is None:
            found = shingled[body] = shingles(body)
        return found

    found_by_item: dict[int, dict[int, Earlier]] = {}
    for n, same_person, comment_id, thread, created_at, other_hash, body, *_ in rows:
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
            likeness = 1.0
        elif _comparable(mine, body):
            likeness = similarity(shingles_of(mine), shingles_of(body))
        else:
            continue
        found[comment_id] = Earlier(comment_id, thread, created_at, likeness, True)
    facts: dict[tuple, Likeness] = {}
    for index, item in enumerate(comments):
        if not item.body:
            continue
        alike_by_id = found_by_item.get(index)
        earlier_alike = tuple(e for e in alike_by_id.values() if e.similarity > 0) if alike_by_id else ()
        facts[item.key] = Likeness(len(normalize(item.body)) if alike_by_id else 0, earlier_alike)
    return facts


def _comparable(a: str, b: str) -> bool:
    """Cheap bound before shingling: similar texts have similar numbers of words."""
    words_a, words_b = a.count(" ") + 1, b.count(" ") + 1
    return min(words_a, words_b) >= MIN_LENGTH_RATIO * max(words_a, words_b)


async def _evidence(conn: Connection, comments: list[Item], summaries: dict) -> dict[tuple, Evidence]:
    """learned_spam's scores of each comment: from its site's token counts when the site has
    learned both spam and ham, and from every sharing site's together when its site shares."""
    # A site whose moderators have not yet decided both spam and ham cannot score anything:
    # its comments skip tokenizing and the token lookup (check() says "still learning").
    trained = [item for n, item in enumerate(comments)
               if item.body and summaries[n]["spam_count"] and summaries[n]["ham_count"]]
    sharing = [item for n, item in enumerate(comments) if item.body and summaries[n]["shares"]]
    if not trained and not sharing:
        return {}
    tokens_of = {item.key: learned_spam.tokens(item.body) for item in (*trained, *sharing)}
    facts: dict[tuple, Evidence] = {}
    if trained:
        keys = {(item.site_id, token) for item in trained for token in tokens_of[item.key]}
        per_token, totals = await learned_spam.counts(conn, keys, {i.site_id for i in trained})
        for item in trained:
            spam_total, ham_total = totals.get(item.site_id, (0, 0))
            counts = {token: per_token[(item.site_id, token)] for token in tokens_of[item.key]
                      if (item.site_id, token) in per_token}
            # The score does not depend on the site's parameters: computed here, once per item.
            score, spammy = learned_spam.spam_probability(counts, spam_total, ham_total)
            facts[item.key] = Evidence(spam_total, ham_total, score, tuple(spammy))
    if sharing:
        shared_counts, (spam_total, ham_total) = await learned_spam.shared_counts(
            conn, {token for item in sharing for token in tokens_of[item.key]})
        for item in sharing:
            counts = {t: shared_counts[t] for t in tokens_of[item.key] if t in shared_counts}
            score, spammy = learned_spam.spam_probability(counts, spam_total, ham_total)
            shared = Evidence(spam_total, ham_total, score, tuple(spammy))
            own = facts.get(item.key)
            facts[item.key] = (Evidence(0, 0, 0.5, (), shared) if own is None
                               else Evidence(own.spam_total, own.ham_total, own.score, own.tokens,
                                             shared))
    return facts
