"""Decisions per second of one rule worker, database included, and the CPU behind each.

Usage: .venv/bin/python bench/worker_speed.py [--comments 3000] [--batch 100]
Seeds pending comments (distinct commenters, IPs and texts, 100 threads) with their jobs in an
embedded PostgreSQL in a temporary folder, then times one Worker draining the queue. Besides the
rate it prints the CPU per decision of this process (the worker) and of PostgreSQL (all its
processes, read from /proc): on a shared machine the rate moves with the neighbours, the CPU far
less, and it is the CPU that the API, the workers and PostgreSQL compete for.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.cpu import postgres_cpu_s, postmaster_of
from moderation.clock import utcnow
from moderation.config import Config
from moderation.db import pool as database
from moderation.judging.pipeline import warm_up
from moderation.queue.worker import Worker
from moderation.sites import store as sites

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
    folder = Path(tempfile.mkdtemp(prefix="moderation-worker-"))
    url = database.embedded_url(folder)
    config = Config(secret_key="bench-secret-key-0123456789", batch_size=batch)
    await database.migrate_database(url, config)
    pool = await database.create_pool(url, config, "worker")
    await sites.create_site(pool, "bench", "bench", [])
    await warm_up()
    await pool.execute(SEED, comments)
    async with pool.acquire() as conn:
        postmaster = await postmaster_of(conn)
    worker = Worker(pool, config, utcnow, "bench")
    started, decided = time.perf_counter(), 0
    own, postgres = time.process_time(), postgres_cpu_s(postmaster)
    while claimed := await worker.run_once():
        decided += claimed
    elapsed = time.perf_counter() - started
    own, postgres = time.process_time() - own, postgres_cpu_s(postmaster) - postgres
    print(f"one worker, batch {batch}: {decided} decisions in {elapsed:.2f} s = "
          f"{decided / elapsed:,.0f} decisions/s; CPU per decision: worker "
          f"{own / decided * 1e6:.0f} µs, PostgreSQL {postgres / decided * 1e6:.0f} µs")
    await pool.close()
    database.stop_embedded()
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--comments", type=int, default=3000)
    parser.add_argument("--batch", type=int, default=100)
    options = parser.parse_args()
    asyncio.run(main(options.comments, options.batch))
