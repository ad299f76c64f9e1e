"""Submit → decision latency at a fixed request rate (SPEC: p99 under 100 ms at half the max load).

Used by bench/run.py (`--only latency`). A client sends POSTs on a fixed schedule (request i is
due at t0 + i/rate and is sent then, whatever happened to earlier ones, on an idle keep-alive
connection or a new one, so a slow answer cannot hold back the next request: no coordinated
omission); each comment's latency is its decided_at in the database minus the time it was due to
be sent (same machine, same clock). The first 10 % of requests are a warm-up and are not counted.

The client shares the machine's cores with the server, the workers and PostgreSQL, so it is
lean: requests are built before the clock starts and sent and read by a small HTTP/1.1 protocol
(`HttpConnection`) on uvloop: 0.12-0.15 ms of client CPU per request (0.16-0.18 ms on asyncio's
own loop) against aiohttp's 0.5 ms, which was two thirds of a core at 1,300 requests/s on the
2-core benchmark machine.
"""

from __future__ import annotations

import asyncio
import random
import time
from urllib.parse import urlsplit

import asyncpg
import orjson

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


def requests(host: str, site: str, n: int, seed: int) -> list[bytes]:
    """The n POSTs, ready to send. Many readers from many addresses (the server trusts
    X-Forwarded-For in this run), as on a real site: one address posting hundreds a second would
    be held by the flood rule; each text is different, or the duplicate rule would reject it."""
    rng = random.Random(seed)
    built = []
    for i in range(n):
        text = " ".join(rng.choices(SENTENCES, k=rng.randint(1, 2)) + rng.choices(WORDS, k=8))
        body = orjson.dumps({"body": text, "commenter": {"name": f"Reader {rng.randrange(5000)}"},
                             "elapsed_ms": 30_000})
        address = f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
        built.append(f"POST /v1/sites/{site}/threads/lat{i % 50}/comments HTTP/1.1\r\n"
                     f"Host: {host}\r\nContent-Type: application/json\r\n"
                     f"Content-Length: {len(body)}\r\nX-Forwarded-For: {address}\r\n\r\n"
                     .encode() + body)
    return built


class HttpConnection(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection carrying one request at a time; calls
    done(status, head, body) when the answer is complete (head lower-cased), or
    done(None, b"", b"") if the connection fails."""

    def __init__(self, idle: list[HttpConnection]) -> None:
        self.idle = idle
        self.transport: asyncio.Transport | None = None
        self.buffer = b""
        self.done = None

    def connection_made(self, transport) -> None:
        self.transport = transport

    def send(self, request: bytes, done) -> None:
        self.done = done
        self.transport.write(request)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        head_end = self.buffer.find(b"\r\n\r\n")
        if head_end < 0 or self.done is None:
            return
        head = self.buffer[:head_end].lower()
        at = head.find(b"content-length:")
        if at < 0:  # the server answers with a length; anything else counts as a failure
            self.transport.close()
            return
        line_end = head.find(b"\r\n", at)
        length = int(head[at + 15:line_end if line_end > 0 else None])
        if len(self.buffer) < head_end + 4 + length:
            return
        status, body = int(self.buffer[9:12]), self.buffer[head_end + 4:head_end + 4 + length]
        self.buffer = self.buffer[head_end + 4 + length:]
        done, self.done = self.done, None
        self.idle.append(self)
        done(status, head, body)

    def connection_lost(self, exc) -> None:
        if self in self.idle:
            self.idle.remove(self)
        done, self.done = self.done, None
        if done is not None:
            done(None, b"", b"")


async def drive(base_url: str, site: str, rate: float, seconds: float, seed: int = 9) -> dict:
    """Sends rate×seconds POSTs on schedule; returns per comment (id, due wall time, HTTP ms)."""
    n = max(1, int(rate * seconds))
    address = urlsplit(base_url)
    built = requests(address.netloc, site, n, seed)
    loop = asyncio.get_running_loop()
    idle: list[HttpConnection] = []  # keep-alive connections without a request in flight
    sent: dict[int, tuple[float, float]] = {}
    failed = in_flight = 0
    sending_done, lag_max = False, 0.0
    all_answered = loop.create_future()
    opening: set[asyncio.Task] = set()  # the loop keeps only weak references to tasks

    def answered(due_wall: float, due: float):
        def done(status: int | None, _head: bytes, body: bytes) -> None:
            nonlocal failed, in_flight
            in_flight -= 1
            if status == 202:
                sent[int(orjson.loads(body)["id"])] = (due_wall, (time.perf_counter() - due) * 1000)
            else:
                failed += 1
            if in_flight == 0 and sending_done and not all_answered.done():
                all_answered.set_result(None)
        return done

    async def open_and_send(request: bytes, done) -> None:
        try:
            _, connection = await loop.create_connection(lambda: HttpConnection(idle),
                                                         address.hostname, address.port)
        except OSError:
            done(None, b"", b"")
            return
        connection.send(request, done)

    t0, wall0 = time.perf_counter(), time.time()
    for i, request in enumerate(built):
        due = t0 + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        else:
            lag_max = max(lag_max, -delay)
        in_flight += 1
        done = answered(wall0 + i / rate, due)
        if idle:
            idle.pop().send(request, done)
        else:  # every connection is waiting for an answer: the request does not wait with it
            task = loop.create_task(open_and_send(request, done))
            opening.add(task)
            task.add_done_callback(opening.discard)
    sending_done = True
    if in_flight:
        await all_answered
    elapsed = time.perf_counter() - t0
    for connection in idle:
        connection.transport.close()
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
    return {"rate": rate, "achieved_rps": len(sent) / run["elapsed_s"], "accepted": len(sent),
            "counted": len(counted),
            "failed": run["failed"], "undecided": undecided, "statuses": statuses,
            "client_lag_max_ms": run["client_lag_max_ms"],
            "p50_ms": percentile(total, 0.5), "p99_ms": percentile(total, 0.99),
            "max_ms": max(total),
            "server_p50_ms": percentile(server_side, 0.5),
            "server_p99_ms": percentile(server_side, 0.99),
            "http_p50_ms": percentile(http, 0.5), "http_p99_ms": percentile(http, 0.99)}
