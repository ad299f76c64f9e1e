"""Items per second through the whole rule pipeline on one core, without and with the model.

Run: PYTHONPATH=. .venv/bin/python bench/rules_speed.py [--facts]

The checks run over 20,000 in-memory comments with realistic facts (a commenter history, flood
counts, near-duplicates, a trained learned_spam site's scores), exactly as `pipeline.judge` runs
them in a worker; what the fact loaders compute (shingles, the classifier's score) is part of the
fact loading figure. "Without the model" switches toxicity off; learned_spam stays on (its arithmetic is cheap).
`--facts` also starts the embedded PostgreSQL, stores 20,000 comments and times the rules' batch
fact loaders (one query each per batch of 100), which a worker pays once per batch.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from moderation import pipeline
from moderation.default_wordlists import BANNED, SUSPECT
from moderation.rules import rules_for, toxicity
from moderation.rules.base import Item, SiteView
from moderation.rules.commenter import History
from moderation.learned_spam import spam_probability
from moderation.rules.duplicate import Earlier, Likeness
from moderation.rules.learned_spam import Evidence
from moderation.site_settings import SiteSettings
from moderation.wordlists import compile_wordlist

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
    settings = SiteSettings(premoderation="first_n", first_n=2,
                            rules={} if with_model else {"toxicity": {"enabled": False}})
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


def run_checks(n: int) -> None:
    rng = random.Random(11)
    items = [Item("comment", "ustv", i, 1, NOW, commenter="anon:x", ip_hash=b"ip", thread="t1",
                  body=body) for i, body in enumerate(bodies(n))]
    facts = [facts_for(rng, item.body) for item in items]
    rules = rules_for("comment")
    toxicity.load_model()
    for label, with_model in (("without the model", False), ("with the model", True)):
        site = site_view(with_model)
        for item, item_facts in zip(items[:500], facts):  # warm-up
            pipeline.judge(item, site, site.params, rules, item_facts, NOW)
        start = time.perf_counter()
        for item, item_facts in zip(items, facts):
            pipeline.judge(item, site, site.params, rules, item_facts, NOW)
        elapsed = time.perf_counter() - start
        print(f"checks, all rules {label}: {n / elapsed:,.0f} items/s "
              f"({elapsed / n * 1e6:.0f} µs/item)")


async def run_fact_loaders(n: int, batch: int) -> None:
    from moderation import database
    from moderation.config import Config
    from moderation.fingerprint import text_hash

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
            texts = bodies(n)
            # 5,000 commenters and 2,000 IPs posting over three hours of a busy site.
            rows = [("bench", f"t{rng.randrange(200)}", f"anon:{rng.randrange(5000)}", "r", body,
                     rng.randrange(2000).to_bytes(2, "big"),
                     NOW - timedelta(seconds=(n - i) * 10800 / n),
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
            rules = [r for r in rules_for("comment") if r.load_facts is not None]
            for rule in rules:
                start = time.perf_counter()
                for i in range(0, len(sample), batch):
                    await rule.load_facts(conn, sample[i:i + batch], NOW)
                elapsed = time.perf_counter() - start
                print(f"facts {rule.name}: {len(sample) / elapsed:,.0f} items/s "
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
    parser.add_argument("--facts", action="store_true", help="also time the fact loaders")
    parser.add_argument("--batch", type=int, default=100)
    args = parser.parse_args()
    run_checks(args.n)
    if args.facts:
        asyncio.run(run_fact_loaders(args.n, args.batch))


if __name__ == "__main__":
    main()
