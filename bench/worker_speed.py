"""Decisions per second of one rule worker, database included.

Usage: .venv/bin/python bench/worker_speed.py [--comments 3000] [--batch 100]
Seeds pending comments (distinct commenters, IPs and texts, 100 threads) with their jobs in an
embedded PostgreSQL in a temporary folder, then times one Worker draining the queue.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from moderation import database, sites  # noqa: E402
from moderation.clock import utcnow  # noqa: E402
from moderation.config import Config  # noqa: E402
from moderation.pipeline import warm_up  # noqa: E402
from moderation.worker import Worker  # noqa: E402

SEED = """
WITH t AS (INSERT INTO threads (site_id, thread)
           SELECT 'bench', 't' || n FROM generate_series(1, 100) n ON CONFLICT DO NOTHING),
c AS (INSERT INTO comments (site_id, thread, commenter, author_name, body, ip_hash, text_hash)
      SELECT 'bench', 't' || (n % 100), 'anon:c' || n, 'Reader',
             'A fairly ordinary comment about the summit and NATO, number ' || n || ' of many.',
             decode(md5(n::text), 'hex'), n
        FROM generate_series(1, $1) n
      RETURNING site_id, comment_id, version)
INSERT INTO jobs (site_id, kind, item_id, item_version)
SELECT site_id, 'comment', comment_id, version FROM c"""


async def main(comments: int, batch: int) -> None:
    url = database.embedded_url(Path(tempfile.mkdtemp(prefix="moderation-worker-")))
    config = Config(secret_key="bench-secret-key-0123456789", batch_size=batch)
    await database.migrate_database(url, config)
    pool = await database.create_pool(url, config)
    await sites.create_site(pool, "bench", "bench", [])
    await warm_up()
    await pool.execute(SEED, comments)
    worker = Worker(pool, config, utcnow, "bench")
    started, decided = time.perf_counter(), 0
    while claimed := await worker.run_once():
        decided += claimed
    elapsed = time.perf_counter() - started
    print(f"one worker, batch {batch}: {decided} decisions in {elapsed:.2f} s = "
          f"{decided / elapsed:,.0f} decisions/s")
    await pool.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--comments", type=int, default=3000)
    parser.add_argument("--batch", type=int, default=100)
    options = parser.parse_args()
    asyncio.run(main(options.comments, options.batch))
