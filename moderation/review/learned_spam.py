"""The per-site spam classifier learned from moderators' decisions, stored in PostgreSQL.

A naive Bayes over tokens in the form SpamBayes uses (Robinson's token probabilities, combined
with Fisher's chi-squared method): each token's share of spam and ham comments, the most telling
tokens of a comment combined into one score 0..1. Every worker reads the same counts, so a
decision trains all of them at once. `train` and `untrain` are what moderator decisions call:
a reject trains spam, an approve trains ham, and a reversed decision untrains the old one first.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping

from moderation.db.pool import Connection
from moderation.text.links import find_links
from moderation.text.normalize import normalize

MAX_TOKENS = 200
_NUMBER = re.compile(r"\d{4,}")
_PRICE = re.compile(r"[£$€]\s?\d|\d\s?(?:[£$€]|p\b|eur|usd|gbp)", re.IGNORECASE)
# Robinson's prior: a token seen n times weighs like n observations against one neutral one.
PRIOR_STRENGTH = 1.0
PRIOR = 0.5
# Tokens whose probability is closer to 0.5 than this say nothing and are left out.
MIN_STRENGTH = 0.1
MAX_DISCRIMINATORS = 150

TRAIN = """
WITH tokens AS (
    INSERT INTO spam_tokens AS t (site_id, token, spam_count, ham_count)
    SELECT $1, token, $3, $4 FROM unnest($2::text[]) AS token
    ON CONFLICT (site_id, token) DO UPDATE
       SET spam_count = t.spam_count + EXCLUDED.spam_count,
           ham_count = t.ham_count + EXCLUDED.ham_count
)
INSERT INTO spam_totals AS s (site_id, spam_count, ham_count) VALUES ($1, $3, $4)
ON CONFLICT (site_id) DO UPDATE
   SET spam_count = s.spam_count + EXCLUDED.spam_count,
       ham_count = s.ham_count + EXCLUDED.ham_count"""

UNTRAIN = """
WITH tokens AS (
    UPDATE spam_tokens SET spam_count = greatest(spam_count - $3, 0),
                           ham_count = greatest(ham_count - $4, 0)
     WHERE site_id = $1 AND token = ANY($2::text[])
)
UPDATE spam_totals SET spam_count = greatest(spam_count - $3, 0),
                       ham_count = greatest(ham_count - $4, 0)
 WHERE site_id = $1"""

# The counts of a batch's tokens, and each site's totals (token NULL), in one query.
SELECT_COUNTS = """
SELECT t.site_id, t.token, t.spam_count, t.ham_count
  FROM unnest($1::text[], $2::text[]) AS k(site_id, token)
  JOIN spam_tokens t ON t.site_id = k.site_id AND t.token = k.token
UNION ALL
SELECT site_id, NULL, spam_count, ham_count FROM spam_totals WHERE site_id = ANY($3::text[])"""

# The lessons of every site whose admins share them (rules.learned_spam.share): token counts
# summed over those sites, never a comment. A site that stops sharing drops out at once.
SELECT_SHARED_COUNTS = """
WITH sharing AS (
    SELECT site_id FROM sites WHERE settings #>> '{rules,learned_spam,share}' = 'true'
)
SELECT t.token, sum(t.spam_count)::bigint AS spam_count, sum(t.ham_count)::bigint AS ham_count
  FROM sharing s JOIN spam_tokens t ON t.site_id = s.site_id AND t.token = ANY($1::text[])
 GROUP BY t.token
UNION ALL
SELECT NULL, coalesce(sum(spam_count), 0)::bigint, coalesce(sum(ham_count), 0)::bigint
  FROM sharing s JOIN spam_totals USING (site_id)"""


def tokens(text: str) -> list[str]:
    """The distinct tokens of a comment: normalized words, word pairs, linked domains, and the
    shapes that spam shares whatever its words (long numbers, prices, capitals)."""
    words = normalize(text).split()
    found = dict.fromkeys(w for w in words if 1 < len(w) <= 40)
    found.update(dict.fromkeys(f"{a} {b}" for a, b in zip(words, words[1:])
                               if len(a) <= 40 and len(b) <= 40))
    links = find_links(text)
    found.update(dict.fromkeys(f"link:{host}" for _, host in links))
    if links:
        found["shape:link"] = None
    found.update(dict.fromkeys(f"shape:number{min(len(run), 12)}"
                               for run in _NUMBER.findall(text)))
    if _PRICE.search(text):
        found["shape:price"] = None
    capitals = sum(1 for word in text.split() if len(word) > 1 and word.isupper())
    if capitals:
        found[f"shape:capitals{min(capitals, 5)}"] = None
    return sorted(found)[:MAX_TOKENS]


async def train(conn: Connection, site_id: str, text: str, is_spam: bool) -> None:
    """Learns one moderator decision: a rejected comment as spam, an approved one as ham."""
    await conn.execute(TRAIN, site_id, tokens(text), int(is_spam), int(not is_spam))


async def untrain(conn: Connection, site_id: str, text: str, is_spam: bool) -> None:
    """Forgets a decision learned before (when a moderator reverses it)."""
    await conn.execute(UNTRAIN, site_id, tokens(text), int(is_spam), int(not is_spam))


async def counts(conn: Connection, keys: Iterable[tuple[str, str]], site_ids: Iterable[str]
                 ) -> tuple[dict[tuple[str, str], tuple[int, int]], dict[str, tuple[int, int]]]:
    """(spam, ham) per (site, token), and the number of spam and ham decisions per site."""
    keys = list(keys)
    rows = await conn.fetch(SELECT_COUNTS, [k[0] for k in keys], [k[1] for k in keys],
                            list(site_ids))
    per_token = {(r["site_id"], r["token"]): (r["spam_count"], r["ham_count"])
                 for r in rows if r["token"] is not None}
    totals = {r["site_id"]: (r["spam_count"], r["ham_count"]) for r in rows if r["token"] is None}
    return per_token, totals


async def shared_counts(conn: Connection, wanted: Iterable[str]
                        ) -> tuple[dict[str, tuple[int, int]], tuple[int, int]]:
    """(spam, ham) per token over every sharing site, and their decisions in all."""
    rows = await conn.fetch(SELECT_SHARED_COUNTS, list(wanted))
    per_token = {r["token"]: (r["spam_count"], r["ham_count"]) for r in rows
                 if r["token"] is not None}
    totals = next(((r["spam_count"], r["ham_count"]) for r in rows if r["token"] is None), (0, 0))
    return per_token, totals


def token_probability(spam: int, ham: int, spam_total: int, ham_total: int) -> float:
    spam_ratio = spam / spam_total
    ham_ratio = ham / ham_total
    p = spam_ratio / (spam_ratio + ham_ratio) if spam_ratio + ham_ratio else PRIOR
    n = spam + ham
    return (PRIOR_STRENGTH * PRIOR + n * p) / (PRIOR_STRENGTH + n)


def _chi2q(x2: float, freedom: int) -> float:
    """P(chi² with an even number of degrees of freedom ≥ x2)."""
    m = x2 / 2.0
    term = total = math.exp(-m)
    for i in range(1, freedom // 2):
        term *= m / i
        total += term
    return min(total, 1.0)


def spam_probability(counts_of: Mapping[str, tuple[int, int]], spam_total: int,
                     ham_total: int) -> tuple[float, list[str]]:
    """The score of a comment from its tokens' counts, and its most spammy tokens."""
    if spam_total == 0 or ham_total == 0:
        return 0.5, []
    clues = []
    for token, (spam, ham) in counts_of.items():
        p = token_probability(spam, ham, spam_total, ham_total)
        if abs(p - PRIOR) >= MIN_STRENGTH:
            clues.append((abs(p - PRIOR), p, token))
    if not clues:
        return 0.5, []
    clues.sort(reverse=True)
    clues = clues[:MAX_DISCRIMINATORS]
    log_spam = sum(math.log(max(1.0 - p, 1e-12)) for _, p, _ in clues)
    log_ham = sum(math.log(max(p, 1e-12)) for _, p, _ in clues)
    n = len(clues)
    spam_chi = 1.0 - _chi2q(-2.0 * log_spam, 2 * n)
    ham_chi = 1.0 - _chi2q(-2.0 * log_ham, 2 * n)
    spammy = [token for _, p, token in clues if p > PRIOR][:5]
    return (spam_chi - ham_chi + 1.0) / 2.0, spammy
