"""A running worker sees settings and word-list changes on its next batch, without a restart."""

from __future__ import annotations

from moderation.judging.site_views import SiteViews
from moderation.sites import store as sites
from moderation.sites import wordlists as site_wordlists
from tests.factories import make_worker, queue_comments, seed, site_settings


async def statuses(pool, site) -> list[str]:
    rows = await pool.fetch("SELECT status FROM comments WHERE site_id = $1 ORDER BY comment_id",
                            site)
    return [row["status"] for row in rows]


async def test_word_list_and_settings_changes_reach_a_running_worker(pool, site):
    await seed(pool, site, 0)  # thread and commenter
    worker = make_worker(pool, "w")
    await queue_comments(pool, site, ["zorblax is a word nobody bans"])
    assert await worker.run_once() == 1
    assert await statuses(pool, site) == ["approved"]

    await site_wordlists.put(pool, site, "banned", ["zorblax"])
    await queue_comments(pool, site, ["but now zorblax is banned here"])
    assert await worker.run_once() == 1
    assert (await statuses(pool, site))[-1] == "rejected"

    await sites.save_settings(pool, site, site_settings(rules={"banned_words": {"enabled": False}}))
    await queue_comments(pool, site, ["zorblax once more, now that the rule is off"])
    assert await worker.run_once() == 1
    assert (await statuses(pool, site))[-1] == "approved"


async def test_site_views_use_defaults_and_compile_each_version_once(pool, new_site):
    site_a, site_b = await new_site(), await new_site()
    views = SiteViews()
    async with pool.acquire() as conn:
        first = await views.load(conn, {site_a, site_b})
        assert first[site_a].wordlists["banned"] is first[site_b].wordlists["banned"]
        assert first[site_a].wordlists["banned"].version == 0
        assert first[site_a].wordlists["banned"].find("buy viagra") == ["viagra"]
        await site_wordlists.put(conn, site_a, "suspect", ["blorp"])
        second = await views.load(conn, {site_a, site_b})
        assert second[site_a].wordlists["suspect"].find("blorp!") == ["blorp"]
        assert second[site_b].wordlists["suspect"].find("blorp!") == []
        assert second[site_b] is first[site_b]
        third = await views.load(conn, {site_a})
        assert third[site_a] is second[site_a]
