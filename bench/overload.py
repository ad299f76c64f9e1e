"""Never collapse: comments offered above capacity (2x the end-to-end maximum) for a bounded time,
while readers keep reading; then the queue drains.

Used by bench/run.py (`--only overload`). The client sends POSTs on a fixed schedule (as
bench/decision_latency.py: a request is sent when due, whatever happened to earlier ones, so a
slow answer cannot hold back the next) and public reads (a thread page, a rating, counts; shared
answers on, as deployed) on a schedule of their own, timed from when each was due. At most
MAX_CONNECTIONS requests are in flight: a request due while all are busy is not sent and is
counted as such (the server is not answering in time). The server runs with QUEUE_MAX_AGE_S
(backpressure): past it, new comments get 503 `queue_backlog` with Retry-After.

Afterwards: every comment answered 202 must end decided (lost = 202s not decided once the queue
is empty), the comments stored in the run's threads must be exactly the 202s (a 503 stores
nothing), and the drain rate is the backlog at the end of the load over the time to clear it.
"""

from __future__ import annotations

import asyncio
import time
from urllib.parse import urlsplit

import asyncpg
import orjson

from bench.decision_latency import HttpConnection, percentile

# For the POSTs: more than the server needs at its speed (Little's law: 5,000/s x 50 ms), and
# far fewer than would overflow its listen backlog (a lost SYN is retried a second later).
MAX_CONNECTIONS = 256
READ_CONNECTIONS = 100  # the readers' own, so a flood of POSTs cannot take them
WARM_POST_CONNECTIONS, WARM_READ_CONNECTIONS = 64, 8  # open before the clock starts
THREAD = "over"  # one thread, as the end-to-end maximum's comments (spread over many, the
# duplicate rule rejects one text posted to all of them)
FIRST_READER = 10_000_000


def post_request(host: str, site: str, i: int) -> bytes:
    """Comment i, as the end-to-end maximum's comments are (bench/run.py DISTINCT_POST_LUA): its
    own reader, address and text; numbered past any earlier run's."""
    n = FIRST_READER + i
    body = orjson.dumps({"body": f"Reader {n} thinks the summit communique says little new.",
                         "commenter": {"name": f"Reader {n}"}})
    address = f"10.{n % 250}.{n // 250 % 250}.7"
    return (f"POST /v1/sites/{site}/threads/{THREAD}/comments HTTP/1.1\r\n"
            f"Host: {host}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            f"X-Forwarded-For: {address}\r\n\r\n").encode() + body


def read_paths(site: str, author: str) -> list[str]:
    return [f"/v1/sites/{site}/threads/over-read/comments?limit=50",
            f"/v1/sites/{site}/authors/{author}/rating",
            f"/v1/sites/{site}/counts?thread=over-read&thread={THREAD}"]


class Sender:
    """Sends requests on their own keep-alive connections, at most MAX_CONNECTIONS at once."""

    def __init__(self, host: str, port: int, budget: list[int]) -> None:
        self.host, self.port = host, port
        self.idle: list[HttpConnection] = []
        self.budget = budget  # [connections it may still open]
        self.in_flight = 0
        self.opening: set[asyncio.Task] = set()
        self.all_answered: asyncio.Event | None = None  # set by settle()

    def send(self, request: bytes, done) -> bool:
        """False when every connection is busy and no new one may be opened."""
        if self.idle:
            self.in_flight += 1
            self.idle.pop().send(request, self._finished(done))
            return True
        if self.budget[0] <= 0:
            return False
        self.budget[0] -= 1
        self.in_flight += 1
        task = asyncio.get_running_loop().create_task(self._open(request, self._finished(done)))
        self.opening.add(task)
        task.add_done_callback(self.opening.discard)
        return True

    def _finished(self, done):
        def finished(status, head, body) -> None:
            self.in_flight -= 1
            if self.in_flight == 0 and self.all_answered is not None:
                self.all_answered.set()
            if status is None:
                self.budget[0] += 1  # that connection is gone
            done(status, head, body)
        return finished

    async def _open(self, request: bytes, done) -> None:
        try:
            _, exchange = await asyncio.get_running_loop().create_connection(
                lambda: HttpConnection(self.idle), self.host, self.port)
        except OSError:
            done(None, b"", b"")
            return
        exchange.send(request, done)

    async def warm(self, count: int) -> None:
        """Opens `count` keep-alive connections before the clock starts, as a load balancer holds
        them: a burst of connects at the start would overflow the server's listen backlog, and a
        dropped SYN is retried only a second later."""
        loop = asyncio.get_running_loop()
        for _ in range(count):
            _, exchange = await loop.create_connection(lambda: HttpConnection(self.idle), self.host,
                                                       self.port)
            self.idle.append(exchange)
            self.budget[0] -= 1

    async def settle(self, timeout_s: float = 60) -> None:
        """Waits (a bounded time) for the answers of the requests in flight."""
        self.all_answered = asyncio.Event()
        if self.in_flight:
            try:
                await asyncio.wait_for(self.all_answered.wait(), timeout_s)
            except TimeoutError:
                pass  # counted: those requests have no answer

    def close(self) -> None:
        for exchange in self.idle:
            exchange.transport.close()


async def drive(base_url: str, db_url: str, site: str, author: str, rate: float,
                read_rate: float, seconds: float) -> dict:
    """POSTs at `rate` and reads at `read_rate` for `seconds`, each on schedule; the queue's
    oldest claimable job and the decisions are sampled every half second meanwhile."""
    address = urlsplit(base_url)
    host = address.netloc
    posts = Sender(address.hostname, address.port, [MAX_CONNECTIONS])
    reads = Sender(address.hostname, address.port, [READ_CONNECTIONS])
    paths = read_paths(site, author)
    read_requests = [f"GET {p} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode() for p in paths]
    accepted: list[int] = []
    statuses: dict[str, int] = {}
    read_ms: list[float] = []
    read_failed = 0
    refused_without_retry_after = 0

    first_refusal_s: float | None = None

    def posted(status, head, body) -> None:
        nonlocal refused_without_retry_after, first_refusal_s
        key = str(status) if status is not None else "failed"
        if status == 202:
            accepted.append(int(orjson.loads(body)["id"]))
        elif status == 503:
            code = orjson.loads(body)["error"]["code"]
            key = f"503 {code}"
            refused_without_retry_after += b"\r\nretry-after:" not in head
            if first_refusal_s is None:
                first_refusal_s = time.perf_counter() - t0
        statuses[key] = statuses.get(key, 0) + 1

    def read_done(due: float):
        def done(status, head, body) -> None:
            nonlocal read_failed
            if status in (200, 304):
                read_ms.append((time.perf_counter() - due) * 1000)
            else:
                read_failed += 1
        return done

    n_posts, n_reads = int(rate * seconds), int(read_rate * seconds)
    schedule = sorted([(i / rate, "post", i) for i in range(n_posts)] +
                      [(i / read_rate, "read", i) for i in range(n_reads)])
    unsent_posts = unsent_reads = 0
    await posts.warm(WARM_POST_CONNECTIONS)
    await reads.warm(WARM_READ_CONNECTIONS)
    t0 = time.perf_counter()
    watching = asyncio.get_running_loop().create_task(watch_queue(db_url, site))
    for offset, what, i in schedule:
        due = t0 + offset
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        if what == "post":
            if not posts.send(post_request(host, site, i), posted):
                unsent_posts += 1
        elif not reads.send(read_requests[i % len(read_requests)], read_done(due)):
            unsent_reads += 1
    sent_s = time.perf_counter() - t0
    watching.cancel()
    queue = await watching
    await asyncio.gather(posts.settle(), reads.settle())
    posts.close()
    reads.close()
    return {"offered": n_posts, "accepted": accepted, "statuses": statuses,
            "unsent_posts": unsent_posts, "unsent_reads": unsent_reads, "sent_s": sent_s,
            "refused_without_retry_after": refused_without_retry_after,
            "first_refusal_s": first_refusal_s, **queue,
            "reads": len(read_ms), "read_failed": read_failed,
            "read_p50_ms": percentile(read_ms, 0.5) if read_ms else float("nan"),
            "read_p99_ms": percentile(read_ms, 0.99) if read_ms else float("nan")}


DECIDED_IN_RUN = """
SELECT count(*) FROM comments WHERE site_id = $1 AND thread = 'over' AND decided_at IS NOT NULL"""


async def watch_queue(db_url: str, site: str) -> dict:
    """Until cancelled: the longest any claimable job waited, and the decisions made per second
    while the load ran."""
    from moderation.queue.backpressure import OLDEST_CLAIMABLE

    conn = await asyncpg.connect(db_url)
    oldest, started, decided_before = 0.0, time.monotonic(), await conn.fetchval(DECIDED_IN_RUN, site)
    decided = decided_before
    try:
        while True:
            rows = await conn.fetch(OLDEST_CLAIMABLE)
            oldest = max([oldest, *(r["waited_s"] for r in rows)])
            decided = await conn.fetchval(DECIDED_IN_RUN, site)
            await asyncio.sleep(0.5)
    except asyncio.CancelledError:
        elapsed = time.monotonic() - started
        return {"oldest_job_s": oldest, "decided_during_load": decided - decided_before,
                "decide_rate_during_load": (decided - decided_before) / max(elapsed, 1e-9)}
    finally:
        await conn.close()


SEED_READ_THREAD = """
WITH t AS (INSERT INTO threads (site_id, thread, approved_count) VALUES ($1, 'over-read', 60)
           ON CONFLICT DO NOTHING RETURNING thread),
m AS (INSERT INTO commenters (site_id, commenter, name) VALUES ($1, 'anon:over', 'Reader')
      ON CONFLICT DO NOTHING)
INSERT INTO comments (site_id, thread, commenter, author_name, body, status, created_at)
SELECT $1, 'over-read', 'anon:over', 'Reader', 'Seeded comment ' || n || ' about the summit.',
       'approved', now() - make_interval(secs => 1000 - n)
  FROM generate_series(1, 60) n WHERE EXISTS (SELECT 1 FROM t)"""

UNFINISHED = "SELECT count(*) FROM jobs WHERE status IN ('queued', 'running') AND kind <> 'webhook'"


async def seed(db_url: str, site: str) -> None:
    conn = await asyncpg.connect(db_url)
    try:
        await conn.execute(SEED_READ_THREAD, site)
    finally:
        await conn.close()


async def drain(db_url: str, timeout_s: float = 900) -> dict:
    """Waits until no job is left; the backlog at the start over the time it took."""
    conn = await asyncpg.connect(db_url)
    try:
        started = time.monotonic()
        backlog = await conn.fetchval(UNFINISHED)
        while await conn.fetchval(UNFINISHED):
            if time.monotonic() - started > timeout_s:
                raise RuntimeError("the workers did not drain the queue in time")
            await asyncio.sleep(0.05)
        elapsed = time.monotonic() - started
        return {"backlog": backlog, "seconds": elapsed, "rate": backlog / max(elapsed, 1e-9)}
    finally:
        await conn.close()


async def outcomes(db_url: str, site: str, accepted: list[int]) -> dict:
    """What became of the run's comments: undecided 202s (lost), and stored ones beyond them."""
    conn = await asyncpg.connect(db_url)
    try:
        undecided = await conn.fetchval(
            "SELECT count(*) FROM comments WHERE site_id = $1 AND comment_id = ANY($2) "
            "AND (decided_at IS NULL OR status = 'pending')", site, accepted)
        found = await conn.fetchval("SELECT count(*) FROM comments WHERE site_id = $1 AND "
                                    "comment_id = ANY($2)", site, accepted)
        stored = await conn.fetchval("SELECT count(*) FROM comments WHERE site_id = $1 AND "
                                     "thread = 'over'", site)
        statuses = dict(await conn.fetch(
            "SELECT status, count(*) FROM comments WHERE site_id = $1 AND comment_id = ANY($2) "
            "GROUP BY 1", site, accepted))
        return {"lost": undecided + (len(accepted) - found), "stored": stored,
                "statuses": statuses}
    finally:
        await conn.close()


async def clear_run(db_url: str, site: str) -> None:
    """The run's thread from an earlier run on the same database are removed first."""
    conn = await asyncpg.connect(db_url)
    try:
        await conn.execute("DELETE FROM jobs WHERE site_id = $1 AND status <> 'dead'", site)
        await conn.execute("DELETE FROM comments WHERE site_id = $1 AND thread = $2", site, THREAD)
    finally:
        await conn.close()
