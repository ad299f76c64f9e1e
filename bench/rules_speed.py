"""Items per second through the whole rule pipeline on one core, without and with the models.

Run: PYTHONPATH=. taskset -c 0 .venv/bin/python bench/rules_speed.py [--micro] [--facts] [--explain]

The checks run over 20,000 in-memory comments with realistic facts (a commenter history, flood
counts, near-duplicates, a trained learned_spam site's scores), exactly as `pipeline.judge` runs
them in a worker; what the fact loaders compute (shingles, the classifier's score) is part of the
fact loading figure. "Without the models" switches toxicity and learned_spam's base model off.
The generated texts are a stress mix (most of them stopped, so most are explained with spans);
"labelled comments" runs every model over the dev split of the labelled corpus instead.
`--micro` also times normalization and each text rule alone.
`--facts` also starts the embedded PostgreSQL, stores 100,000 comments (`--stored`) and times the
rules' batch fact loaders (one query each per batch of 100), which a worker pays once per batch;
`--explain` prints the duplicate loader's query plan (EXPLAIN ANALYZE) for one batch.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from moderation.judging import pipeline
from moderation.review.learned_spam import spam_probability
from moderation.rules import banned_words, links, rules_for, shouting, suspect_words, toxicity
from moderation.rules.base import Item, RuleContext, SiteView
from moderation.rules.commenter import History
from moderation.rules.facts.comments import Earlier, Evidence, Likeness
from moderation.sites.settings import SiteSettings
from moderation.text.default_wordlists import BANNED, SUSPECT
from moderation.text.normalize import word_forms
from moderation.text.wordlists import compile_wordlist

SENTENCES = [
    "I think the author makes some good points about the budget.",
    "But the council's 2024 plan misses the cost of the new bridge!",
    "Ich finde den Artikel über die Straßenbahn großartig.",
    "e.g. the U.S. comparison is not fair, prices rose 3.5 percent.",
    "See https://example.com/report and www.stats.gov.uk for data.",
    "THIS IS AN OUTRAGE!!!!!!!!!!",
    "buy ch3ap v-i-a-g-r-a at раypal.com now",
    "What a load of sh1t, you idiot.",
    "Great article 👍 thanks.",
    "Scunthorpe and Dickens fans gave it 5 stars.",
    "They should all be hanged.",
    "Die Überschrift ist übertrieben, aber sachlich.",
]
NOW = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)


def bodies(n: int) -> list[str]:
    rng = random.Random(7)
    return [" ".join(rng.choices(SENTENCES, k=rng.randint(1, 6))) for _ in range(n)]


def site_view(with_model: bool) -> SiteView:
    settings = SiteSettings.model_validate({
        "premoderation": "first_n", "first_n": 2,
        "rules": {} if with_model else {"toxicity": {"enabled": False},
                                        "learned_spam": {"base_model": False}}})
    return SiteView("ustv", settings, settings.rule_params(),
                    {"banned": compile_wordlist(BANNED, 1), "suspect": compile_wordlist(SUSPECT, 1)})


def facts_for(rng: random.Random, body: str) -> dict:
    words = body.lower().split()
    return {
        "commenter": History(None, None, rng.randint(0, 20), rng.randint(0, 20), rng.randint(0, 1)),
        "flood": {f"{who}_{w}": rng.randint(0, 10) for who in ("commenter", "ip")
                  for w in (60, 600, 3600)},
        "duplicate": Likeness(len(body), tuple(
            Earlier(1, "t2", NOW - timedelta(minutes=5), rng.random(), True)
            for _ in range(rng.randint(0, 3)))),
        "learned_spam": Evidence(200, 300, *spam_probability(
            {w: (rng.randint(0, 30), rng.randint(0, 30)) for w in words[:40]}, 200, 300)),
    }


def labelled_bodies(n: int) -> list[str]:
    """Texts of the labelled corpus's dev split (training/corpus.py), repeated up to n: comments
    as they come, three in four of them clean."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from training.corpus import load

    texts = [e.text for e in load() if e.split == "dev"]
    return [texts[i % len(texts)] for i in range(n)]


def run_checks(n: int, with_model: tuple[bool, ...] = (False, True)) -> dict[str, float]:
    """Prints and returns items/s (wall time) by label: "without the models", "with the models"
    (the stress mix: most texts stopped), "labelled comments" (every model, the labelled mix)."""
    rng = random.Random(11)
    items = [Item("comment", "ustv", i, 1, NOW, commenter="anon:x", ip_hash=b"ip", thread="t1",
                  body=body) for i, body in enumerate(bodies(n))]
    labelled = [Item("comment", "ustv", i, 1, NOW, commenter="anon:x", ip_hash=b"ip", thread="t1",
                     body=body) for i, body in enumerate(labelled_bodies(n))]
    facts = [facts_for(rng, item.body) for item in items]
    labelled_facts = [facts_for(rng, item.body) for item in labelled]
    rules = rules_for("comment")
    toxicity.load_model()
    results = {}
    for label, model in (("without the models", False), ("with the models", True),
                         ("labelled comments", True)):
        if model not in with_model:
            continue
        if label == "labelled comments":
            items, facts = labelled, labelled_facts
        site = site_view(model)
        for item, item_facts in zip(items[:500], facts):  # warm-up
            pipeline.judge(item, site, site.params, rules, item_facts, NOW)
        start, cpu = time.perf_counter(), time.process_time()
        for item, item_facts in zip(items, facts):
            pipeline.judge(item, site, site.params, rules, item_facts, NOW)
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
        # CPU time is what one core gives this process; on a shared machine wall time is less.
        print(f"checks, all rules {label}: {n / elapsed:,.0f} items/s "
              f"({elapsed / n * 1e6:.0f} µs/item; {n / cpu:,.0f} items/s of CPU time)")
        results[label] = n / elapsed
    return results


def run_micro(n: int) -> None:
    """Normalization and the text rules one by one, each over the same comments."""
    texts = bodies(n)
    site = site_view(True)
    print(f"{n} comments, mean {sum(map(len, texts)) / n:.0f} chars; each rule alone:")
    # Fresh string objects: normalization remembers only the text it saw last.
    copies = ["".join(t) for t in texts]
    start = time.perf_counter()
    for text in copies:
        word_forms(text)
    print(f"  word_forms: {(time.perf_counter() - start) / n * 1e6:.1f} µs/comment")
    for module in (banned_words, suspect_words, links, shouting, toxicity):
        rule, params = module.RULE, site.params[module.RULE.name]
        contexts = [RuleContext(Item("comment", "ustv", i, 1, NOW, body="".join(t)), site, NOW)
                    for i, t in enumerate(texts)]  # a new body each round: nothing remembered
        start = time.perf_counter()
        for ctx in contexts:
            rule.check(ctx, params)
        print(f"  {rule.name}: {(time.perf_counter() - start) / n * 1e6:.1f} µs/comment")


async def run_fact_loaders(n: int, stored: int, batch: int, explain: bool) -> None:
    from moderation.config import Config
    from moderation.db import pool as database
    from moderation.text.fingerprint import text_hash

    config = Config(secret_key="bench-secret-key-0123456789")
    with tempfile.TemporaryDirectory() as tmp:
        url = database.embedded_url(Path(tmp))
        await database.migrate_database(url, config)
        conn = await database.connect(url, config)
        try:
            await conn.execute("INSERT INTO sites (site_id, name) VALUES ('bench', 'bench')")
            await conn.execute("INSERT INTO threads (site_id, thread) SELECT 'bench', 't' || n "
                               "FROM generate_series(0, 199) n")
            await conn.execute("INSERT INTO commenters (site_id, commenter, name) "
                               "SELECT 'bench', 'anon:' || n, 'r' FROM generate_series(0, 4999) n")
            rng = random.Random(3)
            texts = bodies(stored)
            # 5,000 commenters and 2,000 IPs posting over a day of a busy site.
            rows = [("bench", f"t{rng.randrange(200)}", f"anon:{rng.randrange(5000)}", "r", body,
                     rng.randrange(2000).to_bytes(2, "big"),
                     NOW - timedelta(seconds=(stored - i) * 86400 / stored),
                     text_hash(body)) for i, body in enumerate(texts)]
            await conn.copy_records_to_table(
                "comments", records=rows, columns=["site_id", "thread", "commenter",
                                                   "author_name", "body", "ip_hash", "created_at",
                                                   "text_hash"])
            await conn.execute("ANALYZE comments")
            ids = [r["comment_id"] for r in await conn.fetch(
                "SELECT comment_id FROM comments ORDER BY comment_id")]
            items = [Item("comment", "bench", cid, 1, row[6], commenter=row[2], ip_hash=row[5],
                          thread=row[1], body=row[4]) for cid, row in zip(ids, rows)]
            sample = items[-2000:]
            print(f"fact loaders over {stored:,} stored comments, {len(sample):,} judged:")
            if explain:
                from moderation.rules.facts import comments as comment_facts
                part = sample[-batch:]
                plan = await conn.fetch(
                    "EXPLAIN (ANALYZE, BUFFERS) " + comment_facts.COMMENT_FACTS,
                    [i.site_id for i in part], [i.item_id for i in part],
                    [i.commenter for i in part], [i.ip_hash for i in part],
                    [i.created_at for i in part], [text_hash(i.body) for i in part],
                    comment_facts.MAX_WINDOW, comment_facts.RECENT_PER_PERSON)
                print("\n".join("  " + row[0] for row in plan))
            rules = [r for r in rules_for("comment") if r.load_facts is not None]
            loaders: dict = {}  # rules that read the same tables share one loader
            for rule in rules:
                loaders.setdefault(rule.load_facts, []).append(rule.name)
            for load, names in loaders.items():
                start = time.perf_counter()
                for i in range(0, len(sample), batch):
                    await load(conn, sample[i:i + batch], NOW)
                elapsed = time.perf_counter() - start
                print(f"facts {', '.join(names)}: {len(sample) / elapsed:,.0f} items/s "
                      f"({elapsed / (len(sample) / batch) * 1e3:.1f} ms per batch of {batch})")
            start = time.perf_counter()
            for i in range(0, len(sample), batch):
                await pipeline.load_facts(conn, sample[i:i + batch], NOW, rules)
            elapsed = time.perf_counter() - start
            print(f"facts, all loaders: {len(sample) / elapsed:,.0f} items/s")
        finally:
            await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=20_000)
    parser.add_argument("--micro", action="store_true",
                        help="also time normalization and each text rule alone")
    parser.add_argument("--facts", action="store_true", help="also time the fact loaders")
    parser.add_argument("--stored", type=int, default=100_000,
                        help="comments stored for --facts")
    parser.add_argument("--explain", action="store_true",
                        help="with --facts: the duplicate loader's query plan")
    parser.add_argument("--batch", type=int, default=100)
    args = parser.parse_args()
    run_checks(args.n)
    if args.micro:
        run_micro(min(args.n, 10_000))
    if args.facts:
        asyncio.run(run_fact_loaders(args.n, args.stored, args.batch, args.explain))


if __name__ == "__main__":
    main()
