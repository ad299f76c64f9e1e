"""Backpressure: once a site's oldest claimable job has waited past QUEUE_MAX_AGE_S, its new
comments, edits and ratings get 503 with Retry-After and nothing is stored; reads, and other
sites' writes, go on; once the workers catch up, writes are accepted again."""

from __future__ import annotations

from tests.conftest import wait_for
from tests.factories import comment_body, drain, post_comment, post_rating, seed

# Everything a write could leave behind for a site.
STORED = """
SELECT (SELECT count(*) FROM comments WHERE site_id = $1) AS comments,
       (SELECT count(*) FROM jobs WHERE site_id = $1) AS jobs,
       (SELECT count(*) FROM threads WHERE site_id = $1) AS threads,
       (SELECT count(*) FROM commenters WHERE site_id = $1) AS commenters,
       (SELECT count(*) FROM ratings WHERE site_id = $1) AS ratings,
       (SELECT max(version) FROM comments WHERE site_id = $1) AS latest_version"""

# A backlog the workers have not reached for two minutes.
MAKE_LATE = "UPDATE jobs SET available_at = now() - interval '2 minutes' WHERE site_id = $1"


async def stored(pool, site: str) -> dict:
    return dict(await pool.fetchrow(STORED, site))


async def write_status(client, site: str) -> int:
    """The answer to an empty comment: 503 while the site's writes are refused, else 422 (an
    invalid comment stores nothing either way)."""
    return (await client.post(f"/v1/sites/{site}/threads/probe/comments", json={})).status


async def late_site(client, pool, new_site) -> tuple[str, dict]:
    """A site with a comment of its own and a two-minute-old backlog, once the process sees it."""
    site = await new_site()
    own = await post_comment(client, site, thread="before")
    await seed(pool, site, 3)
    await pool.execute(MAKE_LATE, site)
    await wait_for(lambda: _is(write_status(client, site), 503))
    return site, own


async def _is(status, expected: int) -> bool:
    return await status == expected


async def test_writes_to_a_late_queue_get_503_with_retry_after_and_store_nothing(
        make_client, new_site, pool):
    client = await make_client(workers=0, queue_max_age_s=30, queue_age_check_s=0.05)
    site, own = await late_site(client, pool, new_site)
    other = await new_site()
    before = await stored(pool, site)

    comment = await client.post(f"/v1/sites/{site}/threads/new-thread/comments",
                                json=comment_body(), headers={"Origin": "https://news.example"})
    assert comment.status == 503
    assert 1 <= int(comment.headers["Retry-After"]) <= 60
    assert comment.headers["Access-Control-Allow-Origin"] == "https://news.example"
    assert "Retry-After" in comment.headers["Access-Control-Expose-Headers"]
    error = (await comment.json())["error"]
    assert error["code"] == "queue_backlog"
    assert "nothing was stored" in error["message"]
    assert error["details"][0]["max_age_s"] == 30
    assert error["details"][0]["oldest_job_s"] >= 110

    rating = await client.post(f"/v1/sites/{site}/authors/killian-jones/ratings",
                               json={"score": 5, "rater": {"fingerprint": "browser-late"}})
    assert rating.status == 503 and rating.headers["Retry-After"]
    edit = await client.patch(f"/v1/sites/{site}/comments/{own['id']}", json={"body": "Changed."},
                              headers={"X-Edit-Token": own["edit_token"]})
    assert edit.status == 503 and (await edit.json())["error"]["code"] == "queue_backlog"
    assert await stored(pool, site) == before

    # Reads go on.
    page = await client.get(f"/v1/sites/{site}/threads/before/comments")
    assert page.status == 200
    counts = await client.get(f"/v1/sites/{site}/counts", params={"thread": "before"})
    assert counts.status == 200
    assert (await client.get(f"/v1/sites/{site}/authors/killian-jones/rating")).status == 200
    mine = await client.get(f"/v1/sites/{site}/comments/{own['id']}",
                            headers={"X-Edit-Token": own["edit_token"]})
    assert (await mine.json())["status"] == "pending"
    # Another site's queue is not late: its readers still write.
    await post_comment(client, other)
    await post_rating(client, other)


async def test_writes_are_accepted_again_once_the_workers_catch_up(make_client, new_site, pool):
    client = await make_client(workers=0, queue_max_age_s=30, queue_age_check_s=0.05)
    site, _ = await late_site(client, pool, new_site)

    await drain(pool)
    await wait_for(lambda: _is(write_status(client, site), 422))
    accepted = await post_comment(client, site, thread="after",
                                  text="Glad the council finally answered the question.")
    assert await drain(pool) == 1
    own = await client.get(f"/v1/sites/{site}/comments/{accepted['id']}",
                           headers={"X-Edit-Token": accepted["edit_token"]})
    assert (await own.json())["status"] == "approved"


async def test_a_job_waiting_for_its_retry_or_under_a_lease_is_not_late(make_client, new_site,
                                                                          pool):
    from moderation.queue.backpressure import QUEUE_AGES

    client = await make_client(workers=0, queue_max_age_s=30, queue_age_check_s=0.05)
    site = await new_site()
    await seed(pool, site, 2)
    # Created long ago, but one is due again only later (its retry) and the other is held by a
    # worker whose lease runs on: neither has waited for a worker.
    await pool.execute("UPDATE jobs SET created_at = now() - interval '1 hour', "
                       "available_at = now() + interval '1 minute', "
                       "status = CASE WHEN item_id % 2 = 0 THEN 'running' ELSE 'queued' END, "
                       "claimed_by = CASE WHEN item_id % 2 = 0 THEN 'elsewhere' END "
                       "WHERE site_id = $1", site)
    await client.app[QUEUE_AGES].measure()
    assert site not in client.app[QUEUE_AGES].late
    await post_comment(client, site)


async def test_zero_turns_the_bound_off(make_client, new_site, pool):
    client = await make_client(workers=0, queue_max_age_s=0)
    site = await new_site()
    await seed(pool, site, 1)
    await pool.execute(MAKE_LATE, site)
    await post_comment(client, site)


async def test_a_stale_measurement_refuses_nothing(make_client, new_site, pool):
    from moderation.queue.backpressure import QUEUE_AGES

    # The background watch measures once at the start, then not again during the test.
    client = await make_client(workers=0, queue_max_age_s=30, queue_age_check_s=60)
    site = await new_site()
    await seed(pool, site, 1)
    await pool.execute(MAKE_LATE, site)
    ages = client.app[QUEUE_AGES]
    await ages.measure()
    assert await write_status(client, site) == 503
    # The last good measurement is as old as several failed ones would leave it.
    ages.measured_at -= ages.stale_after_s + 1
    assert await write_status(client, site) == 422


async def test_email_and_webhook_jobs_do_not_make_a_site_late(make_client, new_site, pool):
    from moderation.queue.backpressure import QUEUE_AGES

    client = await make_client(workers=0, queue_max_age_s=30, queue_age_check_s=0.05)
    site = await new_site()
    await seed(pool, site, 1)
    await pool.execute("UPDATE jobs SET kind = 'email' WHERE site_id = $1", site)
    await pool.execute(MAKE_LATE, site)
    await client.app[QUEUE_AGES].measure()
    assert site not in client.app[QUEUE_AGES].late
