"""The rules dry-run: counts of changed decisions under a proposal, and nothing written."""

from __future__ import annotations

from moderation.judging import pipeline
from moderation.web.keys import DRY_RUNS, POOL
from tests.factories import make_token, make_worker, queue_comments, seed
from tests.helpers import bearer


async def snapshot(pool, site):
    return (await pool.fetch("SELECT comment_id, status, version FROM comments WHERE site_id = $1 "
                             "ORDER BY comment_id", site),
            await pool.fetchval("SELECT count(*) FROM audit WHERE site_id = $1", site),
            await pool.fetchval("SELECT count(*) FROM verdicts WHERE site_id = $1", site),
            await pool.fetchval("SELECT count(*) FROM wordlists WHERE site_id = $1", site),
            await pool.fetchrow("SELECT settings, settings_version FROM sites WHERE site_id = $1",
                                site))


async def test_dry_run_counts_changes_in_each_direction_and_changes_nothing(make_client, pool,
                                                                            site):
    await seed(pool, site, 0)
    for body in ("zorblax is everywhere in this thread", "the zorblax again, said differently",
                 "A calm and ordinary remark about the budget.", "Another calm one about trams.",
                 "buy viagra here please"):
        await queue_comments(pool, site, [body])
    worker = make_worker(pool, "w")
    assert await worker.run_once() == 5
    client = await make_client(workers=0)
    token = await make_token(pool, site)
    before = await snapshot(pool, site)

    url = f"/v1/sites/{site}/rules/dry-run"
    response = await client.post(url, json={"wordlists": {"banned": ["zorblax"]}},
                                 headers=bearer(token))
    assert response.status == 200, await response.text()
    result = await response.json()
    assert result["replayed"] == 5
    # Without "viagra" on the banned list the spam model still holds it for a moderator.
    assert result["by_change"] == {"approved->rejected": 2, "rejected->held": 1}
    assert result["changed"] == 3
    example = next(e for e in result["examples"] if e["after"] == "rejected")
    assert "zorblax" in example["body"]
    assert example["verdicts"][0]["rule"] == "banned_words"

    held = await client.post(url, json={"settings": {"premoderation": "all"}, "limit": 3},
                             headers=bearer(token))
    result = await held.json()
    assert result["replayed"] == 3 and result["by_change"] == {"approved->held": 2}
    assert (await client.post(url, json={}, headers=bearer(token))).status == 200
    assert await snapshot(pool, site) == before


async def test_dry_run_validates_and_needs_an_admin(make_client, pool, site):
    client = await make_client(workers=0)
    url = f"/v1/sites/{site}/rules/dry-run"
    admin = await make_token(pool, site)
    moderator = await make_token(pool, site, "moderator")
    assert (await client.post(url, json={}, headers=bearer(moderator))).status == 403
    for bad in ({"limit": 0}, {"settings": {"rules": {"nope": {}}}},
                {"wordlists": {"banned": [""]}}, {"wordlists": {"other": []}}):
        response = await client.post(url, json=bad, headers=bearer(admin))
        assert response.status == 422, bad


async def test_a_dry_run_gives_its_connection_back_before_judging(make_client, pool, site,
                                                                  monkeypatch):
    """With one connection in the pool, the judging (the long part) runs without it."""
    await seed(pool, site, 3)
    assert await make_worker(pool, "w").run_once() == 3
    client = await make_client(workers=0, pool_min_size=1, pool_max_size=1)
    app_pool = client.app[POOL]
    idle_while_judging = []
    judge = pipeline.judge

    def observed(*args, **kwargs):
        idle_while_judging.append(app_pool.get_idle_size())
        return judge(*args, **kwargs)

    monkeypatch.setattr(pipeline, "judge", observed)
    token = await make_token(pool, site)
    response = await client.post(f"/v1/sites/{site}/rules/dry-run", json={},
                                 headers=bearer(token))
    assert response.status == 200
    assert idle_while_judging and set(idle_while_judging) == {1}


async def test_one_dry_run_per_site_and_a_few_in_all(make_client, pool, new_site):
    client = await make_client(workers=0)
    running = client.app[DRY_RUNS].running
    first, second, third = await new_site(), await new_site(), await new_site()
    tokens = {s: await make_token(pool, s) for s in (first, second, third)}

    def dry_run(site):
        return client.post(f"/v1/sites/{site}/rules/dry-run", json={}, headers=bearer(tokens[site]))

    running.add(first)  # a dry-run of the first site is being judged
    refused = await dry_run(first)
    assert refused.status == 429 and refused.headers["Retry-After"] == "5"
    assert (await refused.json())["error"]["code"] == "dry_run_busy"
    assert (await dry_run(second)).status == 200
    running.add(second)  # and one of the second: that is as many as run at once
    assert (await dry_run(third)).status == 429
    running.clear()
    assert (await dry_run(third)).status == 200
    assert running == set()
