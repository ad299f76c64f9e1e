"""Submit → decision latency at a fixed request rate (SPEC: p99 under 100 ms at half the max load).

Used by bench/run.py (`--only latency`). An aiohttp client sends POSTs on a fixed schedule
(request i is due at t0 + i/rate and is sent then, whatever happened to earlier ones, so a slow
answer cannot hold back the next request: no coordinated omission); each comment's latency is
its decided_at in the database minus the time it was due to be sent (same machine, same clock).
The first 10 % of requests are a warm-up and are not counted.
"""

from __future__ import annotations

import asyncio
import random
import time

import aiohttp
import asyncpg

# Readers' words, so every comment is a different text (the duplicate rule rejects repeats).
WORDS = ("bridge council budget tram summit school rail election reporter prices week city tax "
         "parking police climate energy housing rent hospital airport river park library museum "
         "festival harbour station market traffic water cycling bus ferry coast farm forest "
         "village mayor minister court teachers nurses students workers voters neighbours").split()
SENTENCES = [
    "I think the author makes some good points about the budget.",
    "But the council's 2024 plan misses the cost of the new bridge!",
    "Ich finde den Artikel über die Straßenbahn großartig.",
    "e.g. the U.S. comparison is not fair, prices rose 3.5 percent.",
    "See https://example.com/report for the data.",
    "Great article, thanks.",
    "What about the tram line to the airport?",
    "Die Überschrift ist übertrieben, aber sachlich.",
]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


async def drive(base_url: str, site: str, rate: float, seconds: float, seed: int = 9) -> dict:
    """Sends rate×seconds POSTs on schedule; returns per comment (id, due wall time, HTTP ms)."""
    rng = random.Random(seed)
    n = max(1, int(rate * seconds))
    sent: dict[int, tuple[float, float]] = {}
    failed, lag_max = 0, 0.0
    url = f"{base_url}/v1/sites/{site}/threads/{{}}/comments"

    async def one(session: aiohttp.ClientSession, i: int, due_wall: float, due: float) -> None:
        nonlocal failed
        # Many readers from many addresses (the server trusts X-Forwarded-For in this run), as
        # on a real site: one address posting hundreds a second would be held by the flood rule.
        text = " ".join(rng.choices(SENTENCES, k=rng.randint(1, 2)) + rng.choices(WORDS, k=8))
        body = {"body": text, "commenter": {"name": f"Reader {rng.randrange(5000)}"},
                "elapsed_ms": 30_000}
        headers = {"X-Forwarded-For": f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"}
        try:
            async with session.post(url.format(f"lat{i % 50}"), json=body,
                                    headers=headers) as response:
                data = await response.json()
                if response.status != 202:
                    failed += 1
                    return
            sent[int(data["id"])] = (due_wall, (time.perf_counter() - due) * 1000)
        except aiohttp.ClientError:
            failed += 1

    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        tasks = []
        t0, wall0 = time.perf_counter(), time.time()
        for i in range(n):
            due = t0 + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            else:
                lag_max = max(lag_max, -delay)
            tasks.append(asyncio.create_task(one(session, i, wall0 + i / rate, due)))
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - t0
    return {"sent": sent, "failed": failed, "n": n, "elapsed_s": elapsed,
            "client_lag_max_ms": lag_max * 1000}


async def decisions(db_url: str, ids: list[int], timeout_s: float = 60) -> list:
    conn = await asyncpg.connect(db_url)
    try:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            left = await conn.fetchval("SELECT count(*) FROM comments WHERE site_id = 'bench' AND "
                                       "comment_id = ANY($1) AND decided_at IS NULL", ids)
            if left == 0:
                break
            await asyncio.sleep(0.5)
        rows = await conn.fetch(
            "SELECT comment_id, status, created_at, decided_at FROM comments "
            "WHERE site_id = 'bench' AND comment_id = ANY($1)", ids)
        rules = await conn.fetch(
            "SELECT rule, action, count(*) AS n FROM verdicts WHERE site_id = 'bench' AND "
            "kind = 'comment' AND item_id = ANY($1) AND action <> 'allow' GROUP BY 1, 2 "
            "ORDER BY 3 DESC", ids)
        print("rules that held or rejected: " +
              (", ".join(f"{r['rule']} {r['action']} {r['n']}" for r in rules) or "none"))
        return rows
    finally:
        await conn.close()


async def clear_backlog(db_url: str) -> int:
    """Drops the jobs that earlier runs (POSTs to a server without workers) left queued."""
    conn = await asyncpg.connect(db_url)
    try:
        return int((await conn.execute("DELETE FROM jobs WHERE status <> 'dead'")).split()[-1])
    finally:
        await conn.close()


async def measure(base_url: str, db_url: str, rate: float, seconds: float, seed: int = 9) -> dict:
    run = await drive(base_url, "bench", rate, seconds, seed)
    sent = run["sent"]
    counted = sorted(sent)[len(sent) // 10:]  # ids grow with send order: skip the warm-up
    rows = await decisions(db_url, counted)
    total, server_side, statuses, undecided = [], [], {}, 0
    for row in rows:
        if row["decided_at"] is None:
            undecided += 1
            continue
        due_wall, _ = sent[row["comment_id"]]
        total.append((row["decided_at"].timestamp() - due_wall) * 1000)
        server_side.append((row["decided_at"] - row["created_at"]).total_seconds() * 1000)
        statuses[row["status"]] = statuses.get(row["status"], 0) + 1
    http = [sent[i][1] for i in counted]
    if not total:
        raise RuntimeError(f"no comment was decided ({undecided} undecided, {run['failed']} failed)")
    return {"rate": rate, "achieved_rps": len(sent) / run["elapsed_s"], "counted": len(counted),
            "failed": run["failed"], "undecided": undecided, "statuses": statuses,
            "client_lag_max_ms": run["client_lag_max_ms"],
            "p50_ms": percentile(total, 0.5), "p99_ms": percentile(total, 0.99),
            "max_ms": max(total),
            "server_p50_ms": percentile(server_side, 0.5),
            "server_p99_ms": percentile(server_side, 0.99),
            "http_p50_ms": percentile(http, 0.5), "http_p99_ms": percentile(http, 0.99)}
