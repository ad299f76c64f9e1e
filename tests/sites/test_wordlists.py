"""The word-list endpoints: defaults, replacement, validation, roles, isolation between sites."""

from __future__ import annotations

from moderation.text.default_wordlists import BANNED
from tests.factories import make_token
from tests.helpers import bearer


async def test_a_new_site_has_the_default_lists_and_replaces_them(client, site, pool):
    token = await make_token(pool, site)
    url = f"/v1/sites/{site}/wordlists/banned"
    current = await client.get(url, headers=bearer(token))
    assert current.status == 200
    assert (await current.json()) == {"words": list(BANNED)}
    saved = await client.put(url, json={"words": ["spamword", "bad phrase"]}, headers=bearer(token))
    assert saved.status == 200
    assert (await saved.json()) == {"words": ["spamword", "bad phrase"]}
    assert (await (await client.get(url, headers=bearer(token))).json())["words"] == [
        "spamword", "bad phrase"]
    assert await pool.fetchval("SELECT version FROM wordlists WHERE site_id = $1", site) == 1


async def test_word_lists_are_isolated_per_site(client, new_site, pool):
    site_a, site_b = await new_site(), await new_site()
    token_a = await make_token(pool, site_a)
    token_b = await make_token(pool, site_b)
    await client.put(f"/v1/sites/{site_a}/wordlists/suspect", json={"words": ["only-a"]},
                     headers=bearer(token_a))
    other = await client.get(f"/v1/sites/{site_b}/wordlists/suspect", headers=bearer(token_b))
    assert "only-a" not in (await other.json())["words"]
    # Site A's token learns nothing about site B.
    assert (await client.get(f"/v1/sites/{site_b}/wordlists/suspect",
                             headers=bearer(token_a))).status == 404
    assert (await client.put(f"/v1/sites/{site_b}/wordlists/suspect", json={"words": []},
                             headers=bearer(token_a))).status == 404


async def test_moderators_may_not_read_or_change_word_lists(client, site, pool):
    token = await make_token(pool, site, "moderator")
    url = f"/v1/sites/{site}/wordlists/banned"
    assert (await client.get(url, headers=bearer(token))).status == 403
    assert (await client.put(url, json={"words": []}, headers=bearer(token))).status == 403


async def test_bad_word_lists_are_refused_with_details(client, site, pool):
    token = await make_token(pool, site)
    url = f"/v1/sites/{site}/wordlists/banned"
    for bad in ({"words": [""]}, {"words": ["x" * 101]}, {"words": ["w"] * 5001},
                {"words": "spam"}, {"words": [1]}, {}):
        response = await client.put(url, json=bad, headers=bearer(token))
        assert response.status == 422, bad
        assert (await response.json())["error"]["details"]
    unknown = await client.get(f"/v1/sites/{site}/wordlists/nice", headers=bearer(token))
    assert unknown.status == 404
    assert (await client.put(f"/v1/sites/{site}/wordlists/nice", json={"words": []},
                             headers=bearer(token))).status == 404
    assert (await (await client.get(url, headers=bearer(token))).json())["words"] == list(BANNED)
