"""Import speed: comments/s of `moderation import` into an empty site (SPEC: >= 20,000/s).

Generates an export of `--comments` comments over `--threads` threads (a third of them replies,
HTML messages, one in fifty deleted or spam), imports it with the same code as the CLI (time
includes parsing, storing in batches and linking the replies), and prints the rate. Run alone:
`PYTHONPATH=. .venv/bin/python bench/import_speed.py [--source disqus] [--comments 200000]`.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.cpu import cpu_s, postgres_cpu_s, postmaster_of
from moderation.config import Config
from moderation.db import pool as database
from moderation.imports.runner import Progress, run_import
from moderation.sites import store as sites

START = datetime(2024, 1, 1, tzinfo=UTC)
WORDS = ("the summit talks budget minister vote article readers policy nato russia europe "
         "agree disagree point fact source argument economy climate election city").split()


def sentence(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 30))).capitalize() + "."


def moment(n: int) -> str:
    """The n-th comment's time: one a second, so a reply is always newer than its parent."""
    return (START + timedelta(seconds=n)).isoformat().replace("+00:00", "Z")


def placed_in(rng: random.Random, placed: list[int], c: int, threads: int) -> tuple[int, int | None]:
    """The c-th comment's thread and parent: a third answer one of the 50 comments before, in
    that comment's thread (as in a real export); the others open a random thread's discussion."""
    if c and rng.random() < 0.33:
        parent = c - rng.randint(1, min(c, 50))
        placed.append(placed[parent])
        return placed[parent], parent
    placed.append(rng.randrange(threads))
    return placed[-1], None


def write_disqus(path: Path, comments: int, threads: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="utf-8"?>\n<disqus xmlns="http://disqus.com" '
                  'xmlns:dsq="http://disqus.com/disqus-internals">\n')
        for t in range(threads):
            out.write(f'<thread dsq:id="{t}"><id>article-{t}</id>'
                      f'<link>https://news.example/a/article-{t}</link>'
                      f'<title>Article {t} &amp; more</title>'
                      f'<createdAt>2024-01-01T00:00:00Z</createdAt></thread>\n')
        placed: list[int] = []
        for c in range(comments):
            thread, parent_id = placed_in(rng, placed, c, threads)
            parent = f'<parent dsq:id="{100_000_000 + parent_id}"/>' if parent_id is not None else ""
            roll = rng.random()
            deleted, spam = ("true" if roll < 0.01 else "false"), ("true" if roll > 0.99 else "false")
            out.write(f'<post dsq:id="{100_000_000 + c}"><message><![CDATA[<p>{sentence(rng)}</p>'
                      f'<p>{sentence(rng)}</p>]]></message>'
                      f'<createdAt>{moment(c)}</createdAt>'
                      f'<isDeleted>{deleted}</isDeleted><isSpam>{spam}</isSpam>'
                      f'<author><name>Reader {c % 5000}</name><username>r{c % 5000}</username>'
                      f'</author><thread dsq:id="{thread}"/>{parent}</post>\n')
        out.write("</disqus>\n")


def write_remark42(path: Path, comments: int, threads: int, seed: int = 7) -> None:
    import orjson

    rng = random.Random(seed)
    with open(path, "wb") as out:
        out.write(b'{"version":1,"users":[],"posts":[]}\n')
        placed: list[int] = []
        for c in range(comments):
            thread, parent_id = placed_in(rng, placed, c, threads)
            parent = f"c{parent_id}" if parent_id is not None else ""
            out.write(orjson.dumps({
                "id": f"c{c}", "pid": parent, "text": f"<p>{sentence(rng)}</p>",
                "user": {"name": f"Reader {c % 5000}", "id": f"github_{c % 5000}"},
                "locator": {"site": "bench", "url": f"https://news.example/a/article-{thread}"},
                "time": moment(c),
                "title": f"Article {thread}"}) + b"\n")


WRITERS = {"disqus": write_disqus, "remark42": write_remark42}


async def measure(url: str, source: str, path: Path, comments: int) -> dict:
    config = Config(secret_key="bench-secret-key-0123456789")
    await database.migrate_database(url, config)
    pool = await database.create_pool(url, config, "import")
    try:
        site = f"import-{source}-{os.getpid()}-{int(time.time())}"
        await sites.create_site(pool, site, site, [])
        async with pool.acquire() as conn:
            postmaster = await postmaster_of(conn)
        cpu_before = cpu_s(os.getpid()), postgres_cpu_s(postmaster)
        started = time.perf_counter()
        summary = await run_import(pool, site, source, path, progress=Progress(io.StringIO()))
        elapsed = time.perf_counter() - started
        cpu_after = cpu_s(os.getpid()), postgres_cpu_s(postmaster)
        again_started = time.perf_counter()
        again = await run_import(pool, site, source, path, progress=Progress(io.StringIO()))
        again_s = time.perf_counter() - again_started
    finally:
        await pool.close()
    assert summary.imported == comments and again.imported == 0, (summary.as_dict(), again.as_dict())
    assert summary.orphans == 0, summary.as_dict()  # every reply under its parent
    # CPU per comment moves far less with the neighbours on a shared machine than the rate does.
    return {"comments": summary.imported, "seconds": elapsed, "rate": summary.imported / elapsed,
            "again_rate": comments / again_s,
            "import_cpu_us": (cpu_after[0] - cpu_before[0]) / comments * 1e6,
            "postgres_cpu_us": (cpu_after[1] - cpu_before[1]) / comments * 1e6}


def run(url: str, source: str, comments: int, threads: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="moderation-import-bench-") as folder:
        path = Path(folder) / f"export.{source}"
        WRITERS[source](path, comments, threads)
        size_mb = path.stat().st_size / 1e6
        result = asyncio.run(measure(url, source, path, comments))
    return {**result, "size_mb": size_mb}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--source", choices=sorted(WRITERS), default="disqus")
    parser.add_argument("--comments", type=int, default=200_000)
    parser.add_argument("--threads", type=int, default=2_000)
    options = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="moderation-bench-"))
    url = os.environ.get("DATABASE_URL") or database.embedded_url(data_dir)
    try:
        result = run(url, options.source, options.comments, options.threads)
    finally:
        database.stop_embedded()
    print(f"{options.source}: {result['comments']:,} comments ({result['size_mb']:.0f} MB) in "
          f"{result['seconds']:.1f} s: {result['rate']:,.0f} comments/s; CPU µs per comment: "
          f"import {result['import_cpu_us']:.0f}, PostgreSQL {result['postgres_cpu_us']:.0f}; the "
          f"same file again (nothing new): {result['again_rate']:,.0f} comments/s")


if __name__ == "__main__":
    main()
