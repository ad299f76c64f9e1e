"""Growth: thread reads, counts and the review queue on a small database and at 1M comments.

Used by bench/run.py (`--only growth`). A separate database (`growth`) on the same PostgreSQL:
first a small one (a hot thread of 200 top-level comments and 100 replies, 1,000 other threads
with 2,000 comments, a few hundred held ones with verdicts), measured; then 1M comments across
100k threads are added with COPY, and the same requests are measured again. The bulk load looks
like a month of a busy site: comments in time order (so a thread's comments are spread over the
heap as in production), 30 % of them replies, 86 % approved, 5 % held and 7 % rejected with their
verdicts, 2 % deleted, 50,000 commenters.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from moderation.comments import store as comments
from moderation.config import Config
from moderation.queue.kinds import comment as comment_kind
from moderation.review import store as review

SITE = "grow"
HOT = "hot"
COMMENT_COLUMNS = ["site_id", "thread", "parent_id", "root_id", "commenter", "author_name",
                   "body", "status", "ip_hash", "created_at", "decided_at", "text_hash"]
VERDICT_COLUMNS = ["site_id", "kind", "item_id", "item_version", "rule", "action", "score",
                   "reason", "created_at"]
WORDS = ("the council budget bridge summit article author point cost plan rail tram school "
         "election reporter data prices week city tax parking police climate energy").split()
STATUSES = ("approved", "held", "rejected", "deleted")
STATUS_WEIGHTS = (86, 5, 7, 2)


def database_url(url: str, name: str) -> str:
    """The same server's URL with another database name."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


def counted_threads() -> list[str]:
    """The 100 threads of the counts request; they exist in both phases."""
    return [f"t{i * 10}" for i in range(100)]


@dataclass
class Planned:
    created_at: datetime
    thread: str
    reply_to: int | None  # index into the planned list of the thread's top-level comment
    status: str


def plan(rng: random.Random, n: int, threads: list[str], start: datetime, span_s: float,
         reply_share: float = 0.3) -> list[Planned]:
    """n comments spread over the threads, in time order, 30 % replies to a top-level one."""
    per_thread = [1] * len(threads)
    for _ in range(n - len(threads)):
        per_thread[rng.randrange(len(threads))] += 1
    planned: list[Planned] = []
    for thread, k in zip(threads, per_thread):
        offset = rng.random() * span_s
        tops: list[int] = []
        for _ in range(k):
            offset = min(span_s, offset + rng.uniform(10, 900))
            at = start + timedelta(seconds=offset)
            status = rng.choices(STATUSES, STATUS_WEIGHTS)[0]
            reply = tops and rng.random() < reply_share
            planned.append(Planned(at, thread, rng.choice(tops) if reply else None, status))
            if not reply:
                tops.append(len(planned) - 1)
    return planned


def to_rows(rng: random.Random, planned: list[Planned], first_id: int, commenters: int,
            ips: list[bytes]) -> tuple[list[tuple], list[tuple], list[int]]:
    """Comment and verdict records in time order; ids are predicted from the identity sequence."""
    order = sorted(range(len(planned)), key=lambda i: planned[i].created_at)
    id_of = {index: first_id + position for position, index in enumerate(order)}
    rows, verdicts, held = [], [], []
    for index in order:
        p = planned[index]
        comment_id = id_of[index]
        parent = id_of[p.reply_to] if p.reply_to is not None else None
        body = " ".join(rng.choices(WORDS, k=rng.randint(6, 40))).capitalize() + "."
        decided = p.created_at + timedelta(milliseconds=rng.randint(20, 400))
        person = rng.randrange(commenters)
        rows.append((SITE, p.thread, parent, parent, f"anon:c{person}", f"Reader {person}", body, p.status, rng.choice(ips),
                     p.created_at, decided, rng.getrandbits(62)))
        if p.status == "held":
            held.append(comment_id)
            verdicts.append((SITE, "comment", comment_id, 1, "suspect_words", "hold", 0.6,
                             "suspect word: bridge", decided))
            verdicts.append((SITE, "comment", comment_id, 1, "length", "allow", 0.0, "", decided))
        elif p.status == "rejected":
            verdicts.append((SITE, "comment", comment_id, 1, "banned_words", "reject", 1.0,
                             "banned word", decided))
    return rows, verdicts, held


async def next_comment_id(conn) -> int:
    """The id the next inserted comment gets (nobody else writes to this database meanwhile)."""
    seq = await conn.fetchval("SELECT pg_get_serial_sequence('comments', 'comment_id')")
    return await conn.fetchval(f"SELECT nextval('{seq}')") + 1


async def load(conn, threads_new: list[str], planned: list[Planned], rng: random.Random,
               commenters_range: range) -> dict:
    """COPYs threads, commenters, comments and verdicts; returns counts and the seconds it took."""
    started = time.perf_counter()
    # Row triggers (the approved_count bookkeeping) are skipped for the bulk load and the counts
    # set in one statement afterwards, as a real bulk import would.
    await conn.execute("SET session_replication_role = replica")
    try:
        await conn.copy_records_to_table(
            "threads", records=[(SITE, t) for t in threads_new], columns=["site_id", "thread"])
        await conn.copy_records_to_table(
            "commenters", records=[(SITE, f"anon:c{n}", f"Reader {n}") for n in commenters_range],
            columns=["site_id", "commenter", "name"])
        first = await next_comment_id(conn)
        ips = [rng.getrandbits(64).to_bytes(8, "big") for _ in range(20_000)]
        rows, verdicts, held = to_rows(rng, planned, first, 50_000, ips)
        generated = time.perf_counter()
        for i in range(0, len(rows), 200_000):
            await conn.copy_records_to_table("comments", records=rows[i:i + 200_000],
                                             columns=COMMENT_COLUMNS)
        last = await conn.fetchval("SELECT max(comment_id) FROM comments WHERE site_id = $1", SITE)
        if last != first + len(rows) - 1:
            raise RuntimeError(f"comment ids not as predicted: {first}+{len(rows)} vs {last}")
        await conn.copy_records_to_table("verdicts", records=verdicts, columns=VERDICT_COLUMNS)
    finally:
        await conn.execute("SET session_replication_role = DEFAULT")
    await conn.execute("""
        UPDATE threads t SET approved_count = c.n
          FROM (SELECT thread, count(*)::int AS n FROM comments
                 WHERE site_id = $1 AND status = 'approved' GROUP BY thread) c
         WHERE t.site_id = $1 AND t.thread = c.thread AND t.approved_count <> c.n""", SITE)
    copied = time.perf_counter()
    await conn.execute("VACUUM (ANALYZE) comments, threads, verdicts, commenters")
    return {"comments": len(rows), "verdicts": len(verdicts), "held": len(held),
            "generate_s": generated - started, "copy_s": copied - generated,
            "vacuum_s": time.perf_counter() - copied}


async def create_database(url: str) -> str:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("DROP DATABASE IF EXISTS growth WITH (FORCE)")
        await conn.execute("CREATE DATABASE growth")
    finally:
        await conn.close()
    return database_url(url, "growth")


async def seed_small(url: str) -> dict:
    """The small database: the hot thread, 1,000 threads with 2,000 comments, held ones."""
    rng = random.Random(5)
    conn = await asyncpg.connect(url)
    try:
        now = datetime.now(UTC)
        threads = [f"t{i}" for i in range(1000)]
        hot = [Planned(now - timedelta(hours=2) + timedelta(seconds=i), HOT, None, "approved")
               for i in range(200)]
        hot += [Planned(now - timedelta(hours=1) + timedelta(seconds=i), HOT, rng.randrange(200),
                        "approved") for i in range(100)]
        rest = plan(rng, 2000, threads, now - timedelta(days=2), 86400)
        return await load(conn, [HOT, *threads], hot + rest, rng, range(50_000))
    finally:
        await conn.close()


async def seed_big(url: str, n: int, thread_count: int) -> dict:
    """Adds n comments across thread_count threads over the 30 days before the small data."""
    rng = random.Random(6)
    conn = await asyncpg.connect(url)
    try:
        start = datetime.now(UTC) - timedelta(days=32)
        threads = [f"t{i}" for i in range(thread_count)]
        planned = plan(rng, n, threads, start, 30 * 86400)
        return await load(conn, threads[1000:], planned, rng, range(0))
    finally:
        await conn.close()


def seq_scans(plan_lines: list[str]) -> list[str]:
    return [line.strip() for line in plan_lines if "Seq Scan" in line]


async def explain(url: str, moderator: str) -> dict[str, list[str]]:
    """EXPLAIN (ANALYZE, BUFFERS) of every statement behind the three measured requests."""
    conn = await asyncpg.connect(url)
    try:
        plans = {}

        async def run(name: str, query: str, *args) -> None:
            rows = await conn.fetch("EXPLAIN (ANALYZE, BUFFERS) " + query, *args)
            plans[name] = [r[0] for r in rows]

        await run("thread page (50, oldest)", comments.page_query("oldest", False, 50),
                  SITE, HOT, Config.model_fields["replies_per_comment"].default,
                  Config.model_fields["page_max_replies"].default)
        await run("counts (100 threads)", comments.SELECT_COUNTS, SITE, counted_threads())
        queue_args = [SITE, "held", 50, None, False, moderator]
        await run("queue: held comments, oldest 50",
                  review.LIST_QUERIES[("comment", "oldest", False)], *queue_args)
        listed = await conn.fetch(review.LIST_QUERIES[("comment", "oldest", False)], *queue_args)
        ids = [r["id"] for r in listed]
        people = sorted({r["person"] for r in listed})
        await run("queue: their verdicts", review.VERDICTS_OF, SITE, "comment", ids,
                  [r["version"] for r in listed])
        await run("queue: their reports", comment_kind.REPORTS_OF, SITE, ids)
        await run("queue: commenter summaries", review.PEOPLE_SUMMARIES["comment"], SITE,
                  people)
        await run("queue: bans", review.BANS_OF, SITE, people)
        return plans
    finally:
        await conn.close()


async def sizes(url: str) -> dict:
    conn = await asyncpg.connect(url)
    try:
        return dict(await conn.fetchrow(
            "SELECT (SELECT count(*) FROM comments) AS comments,"
            " (SELECT count(*) FROM threads) AS threads,"
            " (SELECT count(*) FROM comments WHERE status = 'held') AS held,"
            " pg_size_pretty(pg_total_relation_size('comments')) AS comments_size"))
    finally:
        await conn.close()
