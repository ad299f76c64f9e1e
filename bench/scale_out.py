"""Scale-out on existing engines, measured: one `serve` (no workers, nothing shared) directly on
PostgreSQL, through PgBouncer in transaction mode, and with its public reads on a streaming
replica; and the replica's lag while comments are accepted as fast as they come.

Usage: .venv/bin/python bench/scale_out.py [--seconds 8] [--connections 32]
       (or within `make bench`: bench/run.py --only scale)

Starts its own primary and replica (pg_basebackup -R, the embedded server's programs) and
Debian's pgbouncer on 127.0.0.1, the way tests/scaling does; needs `wrk` and `pgbouncer`.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import threading
import time
from pathlib import Path

import asyncpg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import (  # noqa: E402
    POST_LUA,
    SEED_THREAD,
    cli,
    free_port,
    server,
    without_rate_limits,
    wrk,
)
from tests.helpers import metric  # noqa: E402
from tests.scaling.servers import PgBouncer, StreamingPair  # noqa: E402

PAGE_PATH = "/v1/sites/bench/threads/read/comments?limit=50"


async def seed(url: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(SEED_THREAD)
        await conn.execute("UPDATE threads SET approved_count = 200 WHERE site_id = 'bench'")
    finally:
        await conn.close()


def scrape(port: int) -> str:
    import urllib.request

    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        return response.read().decode()


def measure(name: str, env: dict, python: str, seconds: int, connections: int,
            watch_lag: bool = False) -> dict:
    """Page reads (nothing shared) and accepted POSTs of one `serve` with `env`."""
    port = free_port()
    with server([python, "-m", "moderation", "serve"], env, port, "/healthz"):
        base = f"http://127.0.0.1:{port}"
        if watch_lag:  # reads go to the replica once its first check found it caught up
            deadline = time.monotonic() + 30
            while metric(scrape(port), "moderation_replica_in_use") != 1:
                if time.monotonic() > deadline:
                    raise RuntimeError("the replica was never used")
                time.sleep(0.1)
        page = wrk(f"{base}{PAGE_PATH}", seconds, connections)
        lags: list[float] = []
        stop = threading.Event()

        def sample() -> None:
            while not stop.wait(0.2):
                lags.append(metric(scrape(port), "moderation_replica_lag_seconds"))
        sampler = threading.Thread(target=sample, daemon=True)
        if watch_lag:
            sampler.start()
        post = wrk(f"{base}/v1/sites/bench/threads/t/comments", seconds, connections, POST_LUA)
        stop.set()
        if watch_lag:
            sampler.join()
        text = scrape(port)
    result = {"name": name, "page": page, "post": post,
              "replica_reads": metric(text, "moderation_public_reads_total", database="replica"),
              "primary_reads": metric(text, "moderation_public_reads_total", database="primary"),
              "max_lag_s": max(lags) if lags else None}
    print(f"{name:<34} page {page['rps']:>8,.0f}/s p99 {page['p99_ms']:>6.1f} ms   "
          f"POST {post['rps']:>8,.0f}/s p99 {post['p99_ms']:>6.1f} ms"
          + (f"   replica reads {result['replica_reads']:,.0f}, primary "
             f"{result['primary_reads']:,.0f}, max lag {result['max_lag_s']:.2f} s"
             if watch_lag else ""), flush=True)
    return result


def run(seconds: int, connections: int) -> list[dict]:
    """The three measurements (direct, PgBouncer, replica) on a primary, replica and pgbouncer
    of their own, all stopped afterwards."""
    pair = StreamingPair()
    bouncer = PgBouncer(pair.primary_url, pool_size=10)
    python = sys.executable
    try:
        pair.start_pair()
        asyncio.run(bouncer.start())
        env = {"DATABASE_URL": pair.primary_url, "SECRET_KEY": "bench-secret-key-0123456789",
               "WORKERS": "0", "LOG_LEVEL": "WARNING", "DEMO_SITE": "false",
               "PAGE_CACHE_S": "0", "RATING_CACHE_S": "0", "ACCESS_LOG": "false"}
        cli(python, env, "migrate")
        cli(python, env, "site", "create", "bench")
        asyncio.run(without_rate_limits(pair.primary_url, "bench"))
        asyncio.run(seed(pair.primary_url))
        s, c = seconds, connections
        return [
            measure("direct on the primary", env, python, s, c),
            measure("through PgBouncer (transaction)", {
                **env, "DATABASE_URL": bouncer.url, "DATABASE_DIRECT_URL": pair.primary_url,
                "DATABASE_POOL_MODE": "transaction"}, python, s, c),
            measure("reads on the replica", {
                **env, "DATABASE_REPLICA_URL": pair.replica_url, "REPLICA_CHECK_S": "0.2"},
                python, s, c, watch_lag=True)]
    finally:
        asyncio.run(bouncer.stop())
        pair.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=32)
    options = parser.parse_args()
    run(options.seconds, options.connections)


if __name__ == "__main__":
    main()
