"""Site settings: validation with located details, and a change reaching the running workers."""

from __future__ import annotations

from tests.conftest import wait_for
from tests.factories import make_token, post_comment
from tests.helpers import bearer


async def test_unknown_rules_and_bad_parameters_are_refused_with_details(client, site, pool):
    token = await make_token(pool, site)
    url = f"/v1/sites/{site}/settings"
    cases = [
        ({"rules": {"nonsense": {}}}, "rules.nonsense", "unknown_rule"),
        ({"rules": {"flood": {"window_s": 61}}}, "rules.flood.window_s", "literal_error"),
        ({"rules": {"duplicate": {"blast_threads": 1}}}, "rules.duplicate.blast_threads",
         "greater_than_equal"),
        ({"rules": {"learned_spam": {"threshold": 2}}}, "rules.learned_spam.threshold",
         "less_than"),
        ({"rules": {"commenter": {"trusted": 3}}}, "rules.commenter.trusted", "extra_forbidden"),
        ({"premoderation": "sometimes"}, "premoderation", "literal_error"),
    ]
    for body, field, kind in cases:
        response = await client.put(url, json=body, headers=bearer(token))
        assert response.status == 422, body
        details = (await response.json())["error"]["details"]
        assert {"field": field, "type": kind} in [
            {"field": d["field"], "type": d["type"]} for d in details], details
    ok = await client.put(url, json={"premoderation": "first_n", "first_n": 2, "rules": {
        "flood": {"max_per_ip": 60, "window_s": 600}, "learned_spam": {"min_training": 50}}},
        headers=bearer(token))
    assert ok.status == 200
    assert (await ok.json())["rules"]["flood"] == {"max_per_ip": 60, "window_s": 600}


async def test_premoderation_switched_on_holds_the_next_comment_on_a_running_worker(
        make_client, site, pool):
    client = await make_client(workers=1, poll_interval_s=0.05)
    token = await make_token(pool, site)

    async def status_of(comment_id):
        return await pool.fetchval("SELECT status FROM comments WHERE site_id = $1 AND "
                                   "comment_id = $2 AND status <> 'pending'", site, int(comment_id))

    first = await post_comment(client, site)
    assert await wait_for(lambda: status_of(first["id"])) == "approved"
    changed = await client.put(f"/v1/sites/{site}/settings", json={"premoderation": "all"},
                               headers=bearer(token))
    assert changed.status == 200
    second = await post_comment(client, site, text="Another thoughtful comment, held this time.")
    assert await wait_for(lambda: status_of(second["id"])) == "held"
    verdict = await pool.fetchrow("SELECT action, reason FROM verdicts WHERE site_id = $1 AND "
                                  "item_id = $2 AND rule = 'commenter'", site, int(second["id"]))
    assert verdict["action"] == "hold" and "premoderation" in verdict["reason"]


async def test_allowed_origins_are_origins_and_nothing_else(client, site, pool):
    token = await make_token(pool, site)
    url = f"/v1/sites/{site}/settings"
    for bad in ("null", "*", "https://news.example/", "https://news.example/path",
                "ftp://news.example", "javascript:alert(1)", "news.example", "https://*.example",
                "https://user@news.example", "https://news.example:99999", "https://news.example?x",
                "http://[::1"):
        response = await client.put(url, json={"allowed_origins": ["https://ok.example", bad]},
                                    headers=bearer(token))
        assert response.status == 422, bad
        detail = (await response.json())["error"]["details"][0]
        assert (detail["field"], detail["type"]) == ("allowed_origins.1", "origin"), bad
    good = ["https://News.Example", "http://localhost:8080", "http://127.0.0.1:8080",
            "http://[::1]:8080", "https://xn--bcher-kva.example"]
    saved = await client.put(url, json={"allowed_origins": good}, headers=bearer(token))
    assert saved.status == 200
    assert (await saved.json())["allowed_origins"] == [
        "https://news.example", "http://localhost:8080", "http://127.0.0.1:8080",
        "http://[::1]:8080", "https://xn--bcher-kva.example"]
