"""Group commit of new comments: concurrent POSTs stored together, each with its own answer.

Through the API where a case can be built there; the rest drive `CommentAccepter` directly on the
real pool. Comments handed to the accepter in one turn of the event loop are one batch.
"""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from moderation.comments import store as comments
from moderation.comments.accepting import CommentAccepter
from moderation.comments.store import ACCEPT_BATCH, NewComment
from moderation.db import pool as database
from moderation.errors import DATABASE_DOWN, UNSTORABLE_TEXT
from tests.conftest import make_config, wait_for
from tests.factories import comment_body, drain, post_comment


def url(site: str, thread: str = "t") -> str:
    return f"/v1/sites/{site}/threads/{thread}/comments"


async def post(client, site: str, payload: dict, key: str | None = None, thread: str = "t"):
    headers = {"Idempotency-Key": key} if key else {}
    response = await client.post(url(site, thread), json=payload, headers=headers)
    return response.status, await response.json()


async def test_concurrent_posts_are_each_stored_with_their_job(make_client, site, pool):
    client = await make_client(workers=0)  # no worker: every job stays queued to be counted
    answers = await asyncio.gather(*(post_comment(client, site, text=f"Comment number {i}.")
                                     for i in range(200)))
    ids = [int(a["id"]) for a in answers]
    assert len(set(ids)) == 200
    stored = await pool.fetch(
        "SELECT c.comment_id, c.body, c.status, j.item_version FROM comments c "
        "JOIN jobs j ON j.site_id = c.site_id AND j.kind = 'comment' AND j.item_id = c.comment_id "
        "WHERE c.site_id = $1", site)
    assert sorted(r["comment_id"] for r in stored) == sorted(ids)
    assert {(r["status"], r["item_version"]) for r in stored} == {("pending", 1)}
    by_id = {r["comment_id"]: r["body"] for r in stored}
    assert all(by_id[int(a["id"])] == f"Comment number {i}." for i, a in enumerate(answers))
    # Rows written by one transaction share its id (xmin): some were stored in batches.
    transactions = await pool.fetchval(
        "SELECT count(DISTINCT xmin::text) FROM comments WHERE site_id = $1", site)
    assert transactions < 200


async def test_each_request_in_a_batch_gets_its_own_answer(client, site):
    retry_payload = comment_body("Sent once, then again by a flaky network.")
    first = await post_comment_with_key(client, site, retry_payload, "flaky")
    reused_payload = comment_body("The original text.")
    await post_comment_with_key(client, site, reused_payload, "reused")
    parent = await post_comment(client, site, thread="t")

    good, retry, reused, unknown, too_big, reply = await asyncio.gather(
        post(client, site, comment_body("A fresh comment.")),
        post(client, site, retry_payload, "flaky"),
        post(client, site, {**reused_payload, "body": "Different text."}, "reused"),
        post(client, site, comment_body(parent_id="999999999999")),
        post(client, site, comment_body(parent_id="9999999999999999999")),
        post(client, site, comment_body("A reply.", parent_id=parent["id"])))

    assert good[0] == 202 and good[1]["status"] == "pending"
    assert retry == (202, first)
    assert reused[0] == 409 and reused[1]["error"]["code"] == "idempotency_key_reused"
    for status, body in (unknown, too_big):
        assert status == 422, body
        assert body["error"]["details"][0]["type"] == "unknown_parent"
    assert reply[0] == 202
    assert len({first["id"], good[1]["id"], reply[1]["id"], parent["id"]}) == 4


async def post_comment_with_key(client, site: str, payload: dict, key: str) -> dict:
    status, body = await post(client, site, payload, key)
    assert status == 202, body
    return body


async def test_the_same_key_sent_twice_at_once_stores_one_comment(client, site, pool):
    payload = comment_body("Double-clicked the send button.")
    answers = await asyncio.gather(*(post(client, site, payload, "double") for _ in range(2)))
    assert [status for status, _ in answers] == [202, 202]
    assert answers[0][1]["id"] == answers[1][1]["id"]
    assert await pool.fetchval("SELECT count(*) FROM comments WHERE site_id = $1", site) == 1


async def test_a_reply_in_a_batch_gets_the_root_of_its_thread(client, site, pool):
    top = await post_comment(client, site, thread="t")
    child = await post_comment(client, site, thread="t", parent_id=top["id"])
    replies = await asyncio.gather(*(post_comment(client, site, thread="t", parent_id=child["id"])
                                     for _ in range(5)))
    roots = await pool.fetch("SELECT root_id, parent_id FROM comments WHERE site_id = $1 "
                             "AND comment_id = ANY($2::bigint[])",
                             site, [int(r["id"]) for r in replies])
    assert {(r["root_id"], r["parent_id"]) for r in roots} == {(int(top["id"]), int(child["id"]))}


# ---------------------------------------------------------------- the accepter on the real pool

def new_comment(site: str, body: str = "A comment.", *, key: str | None = None,
                commenter: str = "anon:batch", parent_id: int | None = None,
                thread: str = "t") -> NewComment:
    return NewComment(site, thread, None, None, commenter, "Batch reader", None, False, parent_id,
                      body, b"\x01" * 16, None, key)


@pytest.fixture
def accepter(pool) -> CommentAccepter:
    return CommentAccepter(pool, on_committed=lambda: None)


async def test_the_single_row_path_stores_what_a_batch_stores(accepter, pool, site):
    """A comment stored alone (the fallback for what a batch did not store) and one stored in a
    batch give the same rows: the comment, its thread, its commenter and its job."""
    parent_id, _ = await comments.accept(pool, new_comment(site, "The parent."), lambda: None)
    woken = []
    alone, _ = await comments.accept(
        pool, new_comment(site, "Same words.", key="alone", parent_id=parent_id, thread="t"),
        lambda: woken.append(True))
    batched, _ = await accepter.accept(
        new_comment(site, "Same words.", key="batched", parent_id=parent_id, thread="t"))
    assert woken == [True]

    def stored(row: asyncpg.Record) -> dict:
        differ = {"comment_id", "idempotency_key", "created_at"}
        return {k: v for k, v in dict(row).items() if k not in differ}

    rows = {r["comment_id"]: r for r in await pool.fetch(
        "SELECT * FROM comments WHERE site_id = $1 AND comment_id = ANY($2::bigint[])",
        site, [alone, batched])}
    assert stored(rows[alone]) == stored(rows[batched])
    assert rows[alone]["root_id"] == parent_id
    jobs = await pool.fetch(
        "SELECT item_id, kind, item_version, status, attempts FROM jobs "
        "WHERE site_id = $1 AND item_id = ANY($2::bigint[]) ORDER BY item_id", site, [alone, batched])
    assert [tuple(j)[1:] for j in jobs] == [("comment", 1, "queued", 0)] * 2


async def test_one_batch_mixes_new_comments_retries_and_refusals(accepter, site):
    earlier = await accepter.accept(new_comment(site, "Kept.", key="k1"))
    results = await asyncio.gather(
        accepter.accept(new_comment(site, "New one.")),
        accepter.accept(new_comment(site, "Kept.", key="k1")),        # a retry
        accepter.accept(new_comment(site, "Changed.", key="k1")),     # the key reused
        accepter.accept(new_comment(site, "Twice.", key="k2")),       # a key twice in one batch
        accepter.accept(new_comment(site, "Twice.", key="k2")),
        accepter.accept(new_comment(site, "Orphan.", parent_id=10**15)),
        return_exceptions=True)
    new, retry, reused, twice_a, twice_b, orphan = results
    assert isinstance(new, tuple)
    assert retry == earlier
    assert reused.status == 409 and reused.code == "idempotency_key_reused"
    assert twice_a == twice_b
    assert orphan.status == 422 and orphan.details[0]["type"] == "unknown_parent"


async def test_a_row_the_database_refuses_fails_alone(accepter, site, pool):
    results = await asyncio.gather(
        accepter.accept(new_comment(site, "Before.")),
        accepter.accept(new_comment(site, "NUL \x00 inside")),        # refused by PostgreSQL
        accepter.accept(new_comment(site, "Huge parent.", parent_id=2**63)),  # refused by asyncpg
        accepter.accept(new_comment(site, "After.")),
        return_exceptions=True)
    before, nul, huge, after = results
    # Text PostgreSQL cannot store (the API's 422 for either error; in the JSON of a batch of one
    # it is the untranslatable \u0000).
    assert isinstance(nul, UNSTORABLE_TEXT)
    assert isinstance(huge, asyncpg.DataError)
    bodies = await pool.fetch("SELECT body FROM comments WHERE site_id = $1 "
                              "AND comment_id = ANY($2::bigint[])", site, [before[0], after[0]])
    assert sorted(r["body"] for r in bodies) == ["After.", "Before."]


async def test_when_the_database_is_down_every_waiting_request_hears_it(database_url, site):
    gone = await database.create_pool(database_url, make_config(), "test")
    await gone.close()
    accepter = CommentAccepter(gone, on_committed=lambda: None)
    results = await asyncio.gather(*(accepter.accept(new_comment(site, f"Lost {i}."))
                                     for i in range(3)), return_exceptions=True)
    assert all(isinstance(r, DATABASE_DOWN) for r in results), results


async def test_a_request_that_goes_away_does_not_break_the_batch(accepter, site, pool):
    # Freeze the batch inside its INSERT, cancel one waiter, then let the batch commit.
    locker = await pool.acquire()
    freeze = locker.transaction()
    await freeze.start()
    await locker.execute("LOCK TABLE comments IN SHARE MODE")
    try:
        tasks = [asyncio.create_task(accepter.accept(new_comment(site, f"Waiting {i}.")))
                 for i in range(3)]
        await wait_for(lambda: batch_waits_for_lock(pool))
        tasks[1].cancel()
    finally:
        await freeze.rollback()
        await pool.release(locker)
    first, gone, last = await asyncio.gather(*tasks, return_exceptions=True)
    assert isinstance(gone, asyncio.CancelledError)
    assert isinstance(first, tuple) and isinstance(last, tuple)
    # The cancelled request's comment was already in the committed batch.
    assert await pool.fetchval("SELECT count(*) FROM comments WHERE site_id = $1", site) == 3


async def test_a_request_cancelled_before_its_batch_is_left_out(accepter, site, pool):
    tasks = [asyncio.create_task(accepter.accept(new_comment(site, f"Queued {i}.")))
             for i in range(3)]
    await asyncio.sleep(0)  # one turn: all three wait for their answer, the flush has not run
    tasks[1].cancel()
    first, gone, last = await asyncio.gather(*tasks, return_exceptions=True)
    assert isinstance(gone, asyncio.CancelledError)
    assert first[0] != last[0]
    bodies = await pool.fetch("SELECT body FROM comments WHERE site_id = $1", site)
    assert sorted(r["body"] for r in bodies) == ["Queued 0.", "Queued 2."]


async def test_drain_waits_for_every_comment_handed_in(accepter, site, pool):
    tasks = [asyncio.create_task(accepter.accept(new_comment(site, f"Late {i}.")))
             for i in range(450)]  # more than two batches
    await asyncio.sleep(0)
    await accepter.drain()
    assert all(t.done() for t in tasks)
    assert await pool.fetchval("SELECT count(*) FROM comments WHERE site_id = $1", site) == 450


async def batch_waits_for_lock(pool) -> bool:
    return await pool.fetchval(  # pg_stat_activity keeps the first 1024 bytes of a query
        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
        "AND left(query, 200) = left($1, 200)", ACCEPT_BATCH) > 0


async def test_a_burst_stored_in_one_batch_still_counts_as_a_flood(make_client, pool, site):
    """20 comments sent at once by one reader go in one or two batches; the flood rule (8 a
    minute per commenter by default) must still see them one after another."""
    client = await make_client(workers=0)
    sent = await asyncio.gather(*(
        post(client, site, {"body": f"Buy cheap watches, offer number {n} today",
                            "commenter": {"name": "Burst"}}) for n in range(20)))
    assert [status for status, _ in sent] == [202] * 20
    times = await pool.fetch("SELECT created_at FROM comments WHERE site_id = $1", site)
    assert len({row["created_at"] for row in times}) == 20
    await drain(pool)
    flood_holds = await pool.fetchval(
        "SELECT count(*) FROM verdicts WHERE site_id = $1 AND rule = 'flood' AND action <> 'allow'",
        site)
    assert flood_holds >= 12


async def test_a_batch_stuck_on_a_lock_does_not_hold_back_the_next(site, pool):
    # One flush at a time normally; a second starts beside one that has become slow.
    accepter = CommentAccepter(pool, on_committed=lambda: None, slow_flush_s=0.0)
    async with pool.acquire() as blocker:
        holding = blocker.transaction()
        await holding.start()
        # An uncommitted insert of the same thread key: the batch's thread upsert waits for it.
        await blocker.execute("INSERT INTO threads (site_id, thread) VALUES ($1, 'busy')", site)
        stuck = asyncio.create_task(accepter.accept(new_comment(site, "Waits.", thread="busy")))
        await wait_for(lambda: batch_waits_for_lock(pool))
        free = await asyncio.wait_for(
            accepter.accept(new_comment(site, "Goes.", thread="free", commenter="anon:other")),
            timeout=10)
        assert not stuck.done()
        await holding.rollback()
    assert isinstance(free, tuple) and isinstance(await stuck, tuple)


async def test_reads_get_a_connection_while_batches_are_stored_one_comment_at_a_time(
        database_url, site, pool):
    """A batch whose comments are stored one at a time (retries, or a row that fails the batch
    statement) counts against max_flushes until they are: each of them takes a connection, and
    batches that all fall back must not take the whole pool from the requests that read."""
    small = await database.create_pool(
        database_url, make_config(pool_min_size=3, pool_max_size=3), "test")
    accepter = CommentAccepter(small, on_committed=lambda: None, max_flushes=2, slow_flush_s=0.0)
    handed_in: list[asyncio.Task] = []

    def hand_in(n: int) -> None:  # one batch: two comments handed in in the same turn
        # The huge parent fails the batch statement (in asyncpg); stored alone, the other comment
        # waits for the thread the blocker is creating.
        handed_in.extend(asyncio.create_task(accepter.accept(comment)) for comment in (
            new_comment(site, f"Bad {n}.", commenter=f"anon:bad{n}", parent_id=2**63),
            new_comment(site, f"Good {n}.", commenter=f"anon:good{n}", thread="busy")))

    async def waiting_for_lock(n: int) -> bool:
        return await accepts_waiting_for_lock(pool) == n

    async def every_flush_waits_for_the_lock() -> bool:
        waiting = await accepts_waiting_for_lock(pool)
        # Counted after the query's round trip, by which the accepter has taken what was handed in.
        flushes = [t for t in asyncio.all_tasks() if t.get_name() == "accept-comments"]
        return waiting == len(flushes)

    blocker = await pool.acquire()
    holding = blocker.transaction()
    await holding.start()
    try:
        await blocker.execute("INSERT INTO threads (site_id, thread) VALUES ($1, 'busy')", site)
        for n in (1, 2):  # the second beside the first, which is slow
            hand_in(n)
            await wait_for(lambda n=n: waiting_for_lock(n))
        hand_in(3)  # waits: two batches are being stored already
        await wait_for(every_flush_waits_for_the_lock)
        assert await asyncio.wait_for(small.fetchval("SELECT 1"), timeout=10) == 1
    finally:
        await holding.rollback()
        await pool.release(blocker)
    results = await asyncio.gather(*handed_in, return_exceptions=True)
    await accepter.drain()
    await small.close()
    assert all(isinstance(r, asyncpg.DataError) for r in results[0::2]), results
    assert all(isinstance(r, tuple) for r in results[1::2]), results


async def accepts_waiting_for_lock(pool) -> int:
    """Accept statements (a batch's, or a comment's stored alone) waiting for a lock."""
    return await pool.fetchval(
        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
        "AND left(query, 200) = left($1, 200)", ACCEPT_BATCH)
