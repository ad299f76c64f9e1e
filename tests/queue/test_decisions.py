"""Deciding a batch in one statement: thread counts, review priorities, racing workers, wake-ups."""

from __future__ import annotations

import asyncio
import gc

import pytest

from moderation.judging.pipeline import warm_up
from moderation.queue.worker import wake_one
from moderation.ratings import store as ratings
from tests.conftest import wait_for
from tests.factories import drain_with, make_worker

HELD_TEXT = "You are an idiot and this article is garbage"  # the default suspect list holds it

# Pending comments with their jobs, in the threads given, each from its own commenter and IP.
PENDING = """
WITH t AS (INSERT INTO threads (site_id, thread) SELECT DISTINCT $1, unnest($2::text[])
           ON CONFLICT DO NOTHING),
c AS (INSERT INTO comments (site_id, thread, commenter, author_name, body, ip_hash)
      SELECT $1, thread, 'anon:' || n || '-' || md5(random()::text), 'Reader', body,
             decode(md5(n::text || random()::text), 'hex')
        FROM unnest($2::text[], $3::text[]) WITH ORDINALITY AS p(thread, body, n)
      RETURNING site_id, comment_id, version)
INSERT INTO jobs (site_id, kind, item_id, item_version)
SELECT site_id, 'comment', comment_id, version FROM c"""

APPROVED = """
INSERT INTO comments (site_id, thread, commenter, author_name, body, status)
SELECT $1, $2, 'anon:earlier' || n, 'Reader', 'An earlier comment, number ' || n, 'approved'
  FROM generate_series(1, $3) n"""

PENDING_RATINGS = """
WITH r AS (INSERT INTO ratings (site_id, author, rater, score)
           SELECT $1, $2, 'anon:rater' || n, 4 FROM generate_series(1, $3) n
           RETURNING site_id, rating_id, version)
INSERT INTO jobs (site_id, kind, item_id, item_version)
SELECT site_id, 'rating', rating_id, version FROM r"""

COUNTS_EXACT = """
SELECT t.thread, t.approved_count,
       (SELECT count(*) FROM comments c WHERE c.site_id = t.site_id AND c.thread = t.thread
                                        AND c.status = 'approved') AS approved
  FROM threads t WHERE t.site_id = $1 ORDER BY t.thread"""


def ordinary(n: int) -> str:
    return f"A calm remark about the tram timetable, number {n}, and the new bridge."


async def pending(pool, site, comments: list[tuple[str, str]]) -> None:
    await pool.execute(PENDING, site, [t for t, _ in comments], [b for _, b in comments])


async def assert_thread_counts_exact(pool, site) -> None:
    rows = await pool.fetch(COUNTS_EXACT, site)
    assert rows and all(r["approved_count"] == r["approved"] for r in rows), \
        [tuple(r) for r in rows]


async def test_a_held_comments_priority_counts_the_approvals_decided_with_it(pool, site):
    await pool.execute("INSERT INTO threads (site_id, thread) VALUES ($1, 'busy')", site)
    await pool.execute(APPROVED, site, "busy", 3)
    await pending(pool, site, [("busy", ordinary(n)) for n in range(4)] + [("busy", HELD_TEXT)])
    assert await make_worker(pool, "w").run_once() == 5  # one batch, one decision statement
    held = await pool.fetchrow("SELECT comment_id, priority FROM comments WHERE site_id = $1 "
                               "AND status = 'held'", site)
    scores = await pool.fetchval(
        "SELECT sum(score)::float8 FROM verdicts WHERE site_id = $1 AND item_id = $2 "
        "AND action <> 'allow'", site, held["comment_id"])
    # The rules' scores plus the thread's weight: 3 approved before and 4 in this batch.
    assert held["priority"] == pytest.approx(scores + 7 / 400, abs=1e-6)
    assert await pool.fetchval("SELECT approved_count FROM threads WHERE site_id = $1 "
                               "AND thread = 'busy'", site) == 7


async def test_thread_counts_stay_exact_through_batches_reversals_and_mixed_updates(pool, site):
    threads = [f"t{n % 7}" for n in range(40)]
    await pending(pool, site, [(t, HELD_TEXT if n % 5 == 0 else ordinary(n))
                               for n, t in enumerate(threads)])
    assert await make_worker(pool, "w").run_once() == 40
    await assert_thread_counts_exact(pool, site)
    # One statement approving the held comments and holding as many approved ones, per thread:
    # every thread's count moves by its net change.
    await pool.execute("""
        UPDATE comments SET status = CASE status WHEN 'held' THEN 'approved' ELSE 'held' END
         WHERE site_id = $1 AND (status = 'held' OR comment_id % 3 = 0)""", site)
    await assert_thread_counts_exact(pool, site)
    await pool.execute("UPDATE comments SET status = 'deleted' WHERE site_id = $1 "
                       "AND comment_id % 2 = 0", site)
    await assert_thread_counts_exact(pool, site)


async def test_two_workers_deciding_the_same_threads_at_once_decide_each_comment_once(pool, site):
    # Every batch of either worker approves comments in every thread at once.
    await pending(pool, site, [(f"t{n % 25}", ordinary(n)) for n in range(600)])

    claimed = await asyncio.gather(drain_with(make_worker(pool, "a", batch_size=40)),
                                   drain_with(make_worker(pool, "b", batch_size=40)))
    assert sum(claimed) == 600 and all(n > 0 for n in claimed)
    assert await pool.fetchval("SELECT count(*) FROM audit WHERE site_id = $1", site) == 600
    assert await pool.fetchval("SELECT count(*) FROM comments WHERE site_id = $1 "
                               "AND status = 'approved'", site) == 600
    assert await pool.fetchval("SELECT count(*) FROM jobs WHERE site_id = $1", site) == 0
    await assert_thread_counts_exact(pool, site)


async def test_one_batch_of_comments_and_ratings_decides_each_item_once(pool, site):
    await pending(pool, site, [("t", ordinary(n)) for n in range(3)])
    await pool.execute(PENDING_RATINGS, site, "kj", 3)
    assert await make_worker(pool, "w").run_once() == 6
    assert await pool.fetchval("SELECT count(*) FROM comments WHERE site_id = $1 "
                               "AND status = 'approved'", site) == 3
    assert await pool.fetchval("SELECT count(*) FROM ratings WHERE site_id = $1 "
                               "AND status = 'approved'", site) == 3
    audit = await pool.fetch("SELECT kind, count(*) FROM audit WHERE site_id = $1 "
                             "GROUP BY kind ORDER BY kind", site)
    assert [tuple(r) for r in audit] == [("comment", 3), ("rating", 3)]
    assert await pool.fetchval("SELECT count(*) FROM jobs WHERE site_id = $1", site) == 0
    async with pool.acquire() as conn:
        aggregate, _ = await ratings.read_one(conn, site, "kj")
    assert (aggregate.count, aggregate.sum) == (3, 12)


def test_a_notification_wakes_one_idle_worker_else_tells_a_busy_one_to_claim_again(pool):
    a, b = make_worker(pool, "a"), make_worker(pool, "b")
    a.idle = b.idle = True
    wake_one([a, b])
    assert (a.wake.is_set(), b.wake.is_set()) == (True, False)  # the other would find nothing
    wake_one([a, b])
    assert b.wake.is_set()  # a has not claimed yet: the next notification goes to b
    a.wake.clear()
    b.wake.clear()
    a.idle = b.idle = False
    wake_one([a, b])
    # Both busy: one claims again when its batch is done, whatever came in meanwhile.
    assert (a.wake.is_set(), b.wake.is_set()) == (True, False)


async def test_a_worker_claims_again_at_once_after_a_full_batch_else_waits_to_be_woken(pool):
    w = make_worker(pool, "w", batch_size=5, poll_interval_s=600)
    claimed = iter([5, 3, 2])  # a full batch, one that was not, and the next after a wake-up
    calls = []

    async def run_once() -> int:
        calls.append(next(claimed, 0))
        return calls[-1]

    async def state(value):
        return value

    w.run_once = run_once
    task = asyncio.create_task(w.run())
    try:
        await wait_for(lambda: state(w.idle))
        assert calls == [5, 3]  # what comes in meanwhile is notified: no claim to find it
        wake_one([w])
        await wait_for(lambda: state(len(calls) == 3 and w.idle))
        assert calls == [5, 3, 2]
    finally:
        w.stop()
        await task


async def test_warm_up_takes_the_loaded_model_out_of_the_collectors_reach():
    gc.unfreeze()  # what an earlier test's warm-up froze must not count for this one
    await warm_up()
    # Frozen objects are never traversed again: a full collection no longer walks the model.
    assert gc.get_freeze_count() > 10_000


async def test_an_update_that_changes_no_count_leaves_the_thread_unlocked(pool, site):
    # A report raising an approved comment's priority must not hold its thread (the workers
    # deciding that thread's comments would wait for it); a status change still counts exactly.
    from datetime import datetime, timezone

    from tests.rules.history import add_comment

    now = datetime.now(timezone.utc)
    async with pool.acquire() as conn:
        shown = await add_comment(conn, site, "A fine comment.", now, thread="hot")
    count = "SELECT approved_count FROM threads WHERE site_id = $1 AND thread = 'hot'"
    assert await pool.fetchval(count, site) == 1
    async with pool.acquire() as reporter, pool.acquire() as worker, reporter.transaction():
        await reporter.execute("UPDATE comments SET priority = priority + 1 "
                               "WHERE site_id = $1 AND comment_id = $2", site, shown.item_id)
        async with worker.transaction():  # NOWAIT: fails at once if the thread is locked
            await worker.execute("SELECT 1 FROM threads WHERE site_id = $1 AND thread = 'hot' "
                                 "FOR UPDATE NOWAIT", site)
        await reporter.execute("UPDATE comments SET status = 'rejected' "
                               "WHERE site_id = $1 AND comment_id = $2", site, shown.item_id)
    assert await pool.fetchval(count, site) == 0
