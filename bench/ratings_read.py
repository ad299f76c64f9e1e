"""Reading an author's rating against a bare aiohttp JSON handler, in the same run (SPEC ≥ 90 %).

Usage: .venv/bin/python bench/ratings_read.py [--seconds 10] [--connections 32]
(`bench/run.py --only rating` runs the same measurement as part of the whole benchmark.)
Measures `moderation serve` as it is — its rating reads use the per-process 1 s cache
(RATING_CACHE_S) — and, as the floor of the app's own overhead, its GET /healthz.
Both servers run as subprocesses on 127.0.0.1; every run is bounded by --seconds. Drives them
with `wrk` when installed, else with a small aiohttp load generator (which shares the CPU with
the servers, so its absolute numbers are lower; the ratio is what counts).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import asyncpg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import free_port, report, server, wrk  # noqa: E402
from moderation.db import pool as database  # noqa: E402

AUTHOR = "killian-jones"
SEED_RATINGS = """
INSERT INTO ratings (site_id, author, rater, score, status)
SELECT 'bench', $1, 'anon:bench-' || n, 1 + n % 5, 'approved' FROM generate_series(1, 500) n"""

async def seed(url: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        if not await conn.fetchval("SELECT count FROM author_ratings WHERE site_id = 'bench' "
                                   "AND author = $1", AUTHOR):
            await conn.execute(SEED_RATINGS, AUTHOR)
    finally:
        await conn.close()


async def load(url: str, seconds: float, connections: int) -> dict:
    """Requests/s of GET url over `connections` keep-alive loops for `seconds`."""
    done, failed, latencies = 0, 0, []
    deadline = time.monotonic() + seconds

    async def loop(session: aiohttp.ClientSession) -> None:
        nonlocal done, failed
        while time.monotonic() < deadline:
            start = time.perf_counter()
            async with session.get(url) as response:
                await response.read()
                if response.status != 200:
                    failed += 1
            latencies.append(time.perf_counter() - start)
            done += 1

    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(connector=connector) as session:
        started = time.monotonic()
        await asyncio.gather(*(loop(session) for _ in range(connections)))
        elapsed = time.monotonic() - started
    latencies.sort()
    return {"rps": done / elapsed, "p50_ms": latencies[len(latencies) // 2] * 1000,
            "p99_ms": latencies[int(len(latencies) * 0.99)] * 1000, "non_2xx": failed}


def measure(url: str, seconds: int, connections: int) -> dict:
    if shutil.which("wrk"):
        return wrk(url, seconds, connections)
    return asyncio.run(load(url, seconds, connections))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    options = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="moderation-bench-"))
    url = os.environ.get("DATABASE_URL") or database.embedded_url(data_dir)
    env = {"DATABASE_URL": url, "SECRET_KEY": "bench-secret-key-0123456789", "WORKERS": "0",
           "LOG_LEVEL": "WARNING", "DEMO_SITE": "false"}
    python = sys.executable
    # Creates the schema too; "already exists" on a reused database is fine.
    subprocess.run([python, "-m", "moderation", "site", "create", "bench"],
                   env={**os.environ, **env}, cwd=ROOT, capture_output=True)
    asyncio.run(seed(url))
    ours_port, base_port = free_port(), free_port()
    s, c = options.seconds, options.connections
    tool = "wrk -t1" if shutil.which("wrk") else "aiohttp load generator"
    path = f"/v1/sites/bench/authors/{AUTHOR}/rating"
    with server([python, "bench/baseline.py"], env, base_port, "/json"), \
            server([python, "-m", "moderation", "serve"], env, ours_port, "/healthz"):
        print(f"{s} s per run, {c} connections, {tool}, API processes without workers\n")
        base = measure(f"http://127.0.0.1:{base_port}/json", s, c)
        ours = measure(f"http://127.0.0.1:{ours_port}{path}", s, c)
        floor = measure(f"http://127.0.0.1:{ours_port}/healthz", s, c)
        # Measured again last, so a machine busy with something else skews both sides alike.
        again = measure(f"http://127.0.0.1:{base_port}/json", s, c)
        print(f"baseline runs: {base['rps']:.0f} and {again['rps']:.0f} req/s")
        base = {**base, "rps": (base["rps"] + again["rps"]) / 2}
        report("read an author's rating", ours, base, 0.90)
        report("  (app floor: GET /healthz)", floor, base, 0.90)


if __name__ == "__main__":
    main()
