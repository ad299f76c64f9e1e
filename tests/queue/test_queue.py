"""The rule queue: leases, races, retries, dead jobs, NOTIFY wake-ups, decisions applied once."""

from __future__ import annotations

import asyncio

from moderation.queue import jobs as queue
from moderation.queue.kinds import claim
from moderation.rules.base import Rule, RuleParams
from moderation.web.keys import LISTENER
from tests.conftest import wait_for
from tests.factories import drain_with, make_token, make_worker, seed


async def audit_counts(pool, site) -> list[int]:
    rows = await pool.fetch("SELECT count(a.audit_id) AS n FROM comments c LEFT JOIN audit a "
                            "ON a.site_id = c.site_id AND a.item_id = c.comment_id "
                            "WHERE c.site_id = $1 GROUP BY c.comment_id", site)
    return [row["n"] for row in rows]


async def test_two_workers_racing_decide_each_of_1000_once(pool, site):
    await seed(pool, site, 1000)

    claimed = await asyncio.gather(drain_with(make_worker(pool, "a", batch_size=50)),
                                   drain_with(make_worker(pool, "b", batch_size=50)))
    assert sum(claimed) == 1000
    assert all(n > 0 for n in claimed)
    assert await audit_counts(pool, site) == [1] * 1000
    statuses = await pool.fetch("SELECT status, count(*) FROM comments WHERE site_id = $1 "
                                "GROUP BY status", site)
    assert [(r["status"], r["count"]) for r in statuses] == [("approved", 1000)]
    assert await pool.fetchval("SELECT count(*) FROM jobs WHERE site_id = $1", site) == 0


async def test_job_of_a_dead_worker_runs_again_after_its_lease_and_is_decided_once(pool, site):
    await seed(pool, site, 3)
    async with pool.acquire() as conn:
        crashed = await claim(conn, 10, "crashed", 3600)  # claimed, then the worker died
    assert len(crashed) == 3
    rescuer = make_worker(pool, "rescuer")
    assert await rescuer.run_once() == 0  # leased: nobody else may take them yet
    await pool.execute("UPDATE jobs SET available_at = now() - interval '1 s' WHERE site_id = $1",
                       site)  # the lease ends
    assert await rescuer.run_once() == 3
    # The crashed worker comes back to life and tries to finish: its attempt is stale.
    async with pool.acquire() as conn:
        assert await queue.finish(conn, crashed) == set()
    assert await audit_counts(pool, site) == [1, 1, 1]


async def test_failing_rule_retries_with_backoff_then_goes_dead(pool, site, monkeypatch,
                                                                make_client):
    def explode(ctx, params):
        raise RuntimeError("rule crashed")

    broken = Rule("broken", frozenset({"comment"}), RuleParams, explode)
    monkeypatch.setattr("moderation.judging.pipeline.rules_for", lambda kind: (broken,))
    monkeypatch.setattr("moderation.judging.site_views.SiteSettings.rule_params",
                        lambda self: {"broken": RuleParams()})
    await seed(pool, site, 2)
    w = make_worker(pool, "w", max_attempts=2, retry_base_s=0.001, retry_max_s=0.001)
    assert await w.run_once() == 2  # the batch fails, then each job on its own
    jobs = await pool.fetch("SELECT status, attempts, last_error FROM jobs WHERE site_id = $1", site)
    assert {(j["status"], j["attempts"]) for j in jobs} == {("queued", 1)}
    assert "rule crashed" in jobs[0]["last_error"]
    await wait_for(lambda: w.run_once())  # runs once the backoff has passed
    jobs = await pool.fetch("SELECT status FROM jobs WHERE site_id = $1", site)
    assert {j["status"] for j in jobs} == {"dead"}
    assert await w.run_once() == 0  # dead jobs are never claimed
    assert await pool.fetchval("SELECT count(*) FROM comments WHERE site_id = $1 "
                               "AND status = 'pending'", site) == 2

    token = await make_token(pool, site)
    client = await make_client(workers=0)
    headers = {"Authorization": f"Bearer {token}"}
    listed = await (await client.get(f"/v1/sites/{site}/jobs/dead", headers=headers)).json()
    assert len(listed["items"]) == 2
    assert listed["items"][0]["last_error"].startswith("RuntimeError")
    retried = await client.post(f"/v1/sites/{site}/jobs/dead/retry", json={}, headers=headers)
    assert (await retried.json()) == {"queued": 2}
    monkeypatch.undo()
    assert await make_worker(pool, "mended").run_once() == 2
    assert await audit_counts(pool, site) == [1, 1]


async def test_notify_wakes_an_idle_worker_long_before_its_poll(make_client, pool, site):
    client = await make_client(workers=1, poll_interval_s=600)
    await asyncio.wait_for(client.app[LISTENER].connected.wait(), 10)
    await seed(pool, site, 1)
    await pool.execute("NOTIFY moderation_jobs")
    decided = await wait_for(lambda: pool.fetchval(
        "SELECT status FROM comments WHERE site_id = $1 AND status <> 'pending'", site), timeout=10)
    assert decided == "approved"


def test_a_process_does_not_wake_a_second_worker_for_its_own_notify(pool):
    from moderation.queue.worker import JobListener
    from tests.conftest import make_config

    workers = [make_worker(pool, "a"), make_worker(pool, "b")]
    listener = JobListener("unused", make_config(), workers, own_sender="host:1")
    listener.on_notify(None, 0, queue.CHANNEL, "host:1")  # its own Notifier woke one already
    assert not any(w.wake.is_set() for w in workers)
    listener.on_notify(None, 0, queue.CHANNEL, "host:2")  # another API process
    assert [w.wake.is_set() for w in workers] == [True, False]
    listener.on_notify(None, 0, queue.CHANNEL, "")  # a bare NOTIFY, e.g. from psql
    assert [w.wake.is_set() for w in workers] == [True, True]


async def test_an_edit_while_the_old_version_is_judged_applies_only_the_new_one(pool, site):
    await seed(pool, site, 1)
    async with pool.acquire() as conn:
        stale = await claim(conn, 1, "slow", 3600)
    await pool.execute("""
        WITH e AS (UPDATE comments SET version = version + 1, body = 'x' WHERE site_id = $1
                   RETURNING site_id, comment_id, version)
        INSERT INTO jobs (site_id, kind, item_id, item_version)
        SELECT site_id, 'comment', comment_id, version FROM e""", site)
    slow = make_worker(pool, "slow")
    async with pool.acquire() as conn:
        await slow.decide(conn, stale)  # judges a version that no longer exists
    assert await pool.fetchval("SELECT status FROM comments WHERE site_id = $1", site) == "pending"
    assert await make_worker(pool, "fresh").run_once() == 1
    assert await pool.fetchval("SELECT status FROM comments WHERE site_id = $1", site) == "rejected"
    assert await audit_counts(pool, site) == [1]


async def test_a_moderator_deciding_during_the_rules_keeps_the_moderators_decision(pool, site):
    from moderation.review import store as review

    await seed(pool, site, 3)
    async with pool.acquire() as conn:
        claimed = await claim(conn, 10, "slow", 3600)
    taken = claimed[0]["item_id"]
    async with pool.acquire() as conn, conn.transaction():  # while the worker is still judging
        await review.decide(conn, site, "comment", taken, "reject", "spam", None, "moderator:ann")
    async with pool.acquire() as conn:
        await make_worker(pool, "slow").decide(conn, claimed)
    rows = await pool.fetch("SELECT comment_id, status FROM comments WHERE site_id = $1", site)
    statuses = {row["comment_id"]: row["status"] for row in rows}
    assert statuses[taken] == "rejected"
    assert "pending" not in statuses.values()
    actors = await pool.fetch("SELECT item_id, actor FROM audit WHERE site_id = $1", site)
    assert sorted(a["actor"] for a in actors if a["item_id"] == taken) == ["moderator:ann"]
    assert await audit_counts(pool, site) == [1, 1, 1]
    assert await pool.fetchval("SELECT count(*) FROM jobs WHERE site_id = $1", site) == 0
    approved = sum(status == "approved" for status in statuses.values())
    assert await pool.fetchval("SELECT approved_count FROM threads WHERE site_id = $1", site) == approved


async def test_a_new_comment_is_announced_under_its_process_name(make_client, database_url, site):
    import asyncpg

    from moderation.web.keys import NOTIFIER
    from tests.factories import post_comment

    client = await make_client(workers=1, poll_interval_s=600)
    heard: asyncio.Queue[str] = asyncio.Queue()
    other = await asyncpg.connect(database_url)  # another process's listener
    try:
        await other.add_listener(queue.CHANNEL, lambda *args: heard.put_nowait(args[3]))
        await post_comment(client, site)
        sender = await asyncio.wait_for(heard.get(), 10)
    finally:
        await other.close()
    # Others wake on it; this process's own listener knows the name and does not wake twice.
    assert sender == client.app[NOTIFIER].sender == client.app[LISTENER].own_sender


async def test_a_flood_on_one_site_delays_another_sites_job_by_one_batch_at_most(pool, new_site):
    """Jobs are claimed in turns between sites: 1,000 older jobs of a flooded site (the demo
    site's, say) do not stand before a quiet site's one new comment."""
    flooded, quiet = await new_site(), await new_site()
    await seed(pool, flooded, 1000)
    await pool.execute("UPDATE jobs SET available_at = now() - interval '1 min' WHERE site_id = $1",
                       flooded)
    await seed(pool, quiet, 1)
    worker = make_worker(pool, "fair", batch_size=100)
    assert await worker.run_once() == 100
    decided = await pool.fetchval("SELECT status FROM comments WHERE site_id = $1", quiet)
    assert decided == "approved"
    assert await pool.fetchval("SELECT count(*) FROM jobs WHERE site_id = $1", flooded) == 901
    # Each turn takes one job of every site: three sites with jobs share a batch evenly.
    third = await new_site()
    await seed(pool, quiet, 40)
    await seed(pool, third, 40)
    async with pool.acquire() as conn:
        claimed = await claim(conn, 60, "fair", 30)
    mine = [job["site_id"] for job in claimed if job["site_id"] in (flooded, quiet, third)]
    assert {site: mine.count(site) for site in (flooded, quiet, third)} == \
        {flooded: 20, quiet: 20, third: 20}
