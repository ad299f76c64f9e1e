"""The periodic cleanup: address hashes expire after ADDRESS_RETENTION_DAYS, rate-limit windows
and ended address bans go; on a clock the test moves."""

from __future__ import annotations

from datetime import timedelta

from moderation.clock import utcnow
from moderation.queue.cleanup import Cleanup
from tests.conftest import wait_for
from tests.factories import post_comment, post_rating


async def hashes(pool, site) -> tuple[int, int]:
    return (await pool.fetchval("SELECT count(ip_hash) FROM comments WHERE site_id = $1", site),
            await pool.fetchval("SELECT count(ip_hash) FROM ratings WHERE site_id = $1", site))


async def test_address_hashes_expire_after_the_retention(make_client, pool, site):
    client = await make_client(workers=0)
    await post_comment(client, site)
    await post_rating(client, site)
    await pool.execute("INSERT INTO rate_counts (site_id, action, address_hash, window_start, count)"
                       " VALUES ($1, 'comment', '', now() - interval '2 days', 3),"
                       "        ($1, 'comment', 'x', now(), 1)", site)
    await pool.execute("INSERT INTO address_bans (site_id, address_hash, commenter, banned_until)"
                       " VALUES ($1, 'a', 'anon:ended', now() - interval '1 min'),"
                       "        ($1, 'b', 'anon:going', now() + interval '60 days')", site)
    assert await hashes(pool, site) == (1, 1)

    assert await Cleanup(pool, 30, utcnow).run_once() is not None
    assert await pool.fetchval("SELECT count(*) FROM rate_counts WHERE site_id = $1", site) == 1
    assert await pool.fetchval("SELECT array_agg(commenter) FROM address_bans "
                               "WHERE site_id = $1", site) == ["anon:going"]

    in_29_days = Cleanup(pool, 30, lambda: utcnow() + timedelta(days=29))
    assert await in_29_days.run_once() is not None
    assert await hashes(pool, site) == (1, 1)  # still within the 30 days

    in_31_days = Cleanup(pool, 30, lambda: utcnow() + timedelta(days=31))
    done = await in_31_days.run_once()
    assert done["comment_addresses"] >= 1 and done["rating_addresses"] >= 1
    assert await hashes(pool, site) == (0, 0)
    assert await pool.fetchval("SELECT count(*) FROM comments WHERE site_id = $1", site) == 1


async def test_serve_runs_the_cleanup_on_its_clock(make_client, pool, site):
    poster = await make_client(workers=0)
    await post_comment(poster, site)
    await make_client(workers=0, cleanup_interval_s=0.05, address_retention_days=2,
                      clock=lambda: utcnow() + timedelta(days=3))
    await wait_for(lambda: _forgotten(pool, site))


async def _forgotten(pool, site) -> bool:
    return await hashes(pool, site) == (0, 0)


async def test_thread_events_are_kept_a_day_and_vote_ranges_the_retention(pool, site):
    comment_id = await pool.fetchval(
        "INSERT INTO comments (site_id, thread, commenter, author_name, body, status) "
        "VALUES ($1, 't', 'c', 'C', 'Body.', 'approved') RETURNING comment_id", site)
    await pool.execute("INSERT INTO votes (site_id, comment_id, voter, value, counted, range_hash) "
                       "VALUES ($1, $2, 'v', 1, true, 'r')", site, comment_id)
    await pool.execute("INSERT INTO thread_events (site_id, thread, type, data) "
                       "VALUES ($1, 't', 'votes', '{}')", site)
    await Cleanup(pool, 30, lambda: utcnow() + timedelta(hours=23)).run_once()
    assert await pool.fetchval("SELECT count(*) FROM thread_events WHERE site_id = $1", site) == 1
    done = await Cleanup(pool, 30, lambda: utcnow() + timedelta(days=31)).run_once()
    assert done["thread_events"] == 1 and done["vote_ranges"] == 1
    assert await pool.fetchval("SELECT range_hash FROM votes WHERE site_id = $1", site) is None
