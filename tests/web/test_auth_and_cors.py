"""Tokens bound to one site, roles, and CORS limited to the site's allowed origins."""

from __future__ import annotations

from moderation.identity.signing import token_hash
from moderation.web.keys import POOL
from tests.factories import comment_body, make_token
from tests.helpers import bearer


async def test_missing_or_unknown_token_is_401(client, site):
    url = f"/v1/sites/{site}/settings"
    missing = await client.get(url)
    assert missing.status == 401
    assert (await missing.json())["error"]["code"] == "unauthorized"
    assert missing.headers["WWW-Authenticate"] == "Bearer"
    for token in ("garbage", f"mod_{site}_0000", "mod__x"):
        assert (await client.get(url, headers=bearer(token))).status == 401


async def test_token_of_another_site_gets_404(client, new_site, pool):
    site_a, site_b = await new_site(), await new_site()
    token_a = await make_token(pool, site_a)
    assert (await client.get(f"/v1/sites/{site_a}/settings", headers=bearer(token_a))).status == 200
    other = await client.get(f"/v1/sites/{site_b}/settings", headers=bearer(token_a))
    assert other.status == 404
    assert (await other.json())["error"]["code"] == "not_found"
    dead = await client.get(f"/v1/sites/{site_b}/jobs/dead", headers=bearer(token_a))
    assert dead.status == 404


async def test_moderator_token_cannot_do_admin_work(client, site, pool):
    token = await make_token(pool, site, "moderator")
    response = await client.get(f"/v1/sites/{site}/settings", headers=bearer(token))
    assert response.status == 403
    assert (await response.json())["error"]["code"] == "forbidden"


async def test_tokens_are_stored_only_as_hashes(pool, site):
    token = await make_token(pool, site)
    stored = await pool.fetch("SELECT token_hash FROM tokens WHERE site_id = $1", site)
    assert [row["token_hash"] for row in stored] == [token_hash(token)]
    assert token.encode() not in stored[0]["token_hash"]


async def test_revoked_token_is_401(client, site, pool):
    token = await make_token(pool, site)
    await pool.execute("UPDATE tokens SET revoked_at = now() WHERE site_id = $1", site)
    assert (await client.get(f"/v1/sites/{site}/settings", headers=bearer(token))).status == 401


async def test_cors_answers_only_the_sites_origins(client, new_site):
    site = await new_site(["https://news.example"])
    url = f"/v1/sites/{site}/threads/t/comments"
    allowed = await client.options(url, headers={"Origin": "https://news.example",
                                                 "Access-Control-Request-Method": "POST"})
    assert allowed.status == 204
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://news.example"
    assert "POST" in allowed.headers["Access-Control-Allow-Methods"]
    assert "X-Edit-Token" in allowed.headers["Access-Control-Allow-Headers"]
    refused = await client.options(url, headers={"Origin": "https://evil.example",
                                                 "Access-Control-Request-Method": "POST"})
    assert "Access-Control-Allow-Origin" not in refused.headers

    read = await client.get(url, headers={"Origin": "https://news.example"})
    assert read.headers["Access-Control-Allow-Origin"] == "https://news.example"
    foreign_read = await client.get(url, headers={"Origin": "https://evil.example"})
    assert foreign_read.status == 200 and "Access-Control-Allow-Origin" not in foreign_read.headers


async def test_errors_carry_cors_headers_so_the_widget_can_read_them(client, new_site):
    site = await new_site(["https://news.example"])
    response = await client.post(f"/v1/sites/{site}/threads/t/comments", json={"body": ""},
                                 headers={"Origin": "https://news.example"})
    assert response.status == 422
    assert response.headers["Access-Control-Allow-Origin"] == "https://news.example"


async def test_writes_from_a_foreign_origin_are_refused(client, new_site, pool):
    site = await new_site(["https://news.example"])
    response = await client.post(f"/v1/sites/{site}/threads/t/comments", json=comment_body(),
                                 headers={"Origin": "https://evil.example"})
    assert response.status == 403
    assert (await response.json())["error"]["code"] == "origin_not_allowed"
    assert await pool.fetchval("SELECT count(*) FROM comments WHERE site_id = $1", site) == 0


async def test_settings_round_trip_and_validation(client, site, pool):
    token = await make_token(pool, site)
    url = f"/v1/sites/{site}/settings"
    current = await (await client.get(url, headers=bearer(token))).json()
    assert current["premoderation"] == "off"
    changed = {**current, "edit_window_s": 60, "rules": {"length": {"max_chars": 100}}}
    saved = await client.put(url, json=changed, headers=bearer(token))
    assert saved.status == 200
    assert (await (await client.get(url, headers=bearer(token))).json())["edit_window_s"] == 60
    bad = await client.put(url, json={**current, "rules": {"nonsense": {}}}, headers=bearer(token))
    assert bad.status == 422
    bad = await client.put(url, json={**current, "rules": {"length": {"max_chars": "lots"}}},
                           headers=bearer(token))
    assert bad.status == 422


async def test_a_write_from_the_sites_origin_while_the_database_is_down_is_503(make_client, site):
    client = await make_client(workers=0)
    await client.server.app[POOL].close()  # every query now fails as with the database gone
    response = await client.post(f"/v1/sites/{site}/threads/t/comments", json=comment_body(),
                                 headers={"Origin": "https://news.example"})
    assert response.status == 503, await response.text()
    assert response.headers["Retry-After"] == "2"
    assert (await response.json())["error"]["code"] == "database_unavailable"


async def test_a_request_with_origin_null_never_writes(client, site, pool):
    """Sandboxed frames, file pages and some redirects send `Origin: null`: no site's page."""
    url = f"/v1/sites/{site}/threads/t/comments"
    refused = await client.post(url, json=comment_body(), headers={"Origin": "null"})
    assert refused.status == 403
    assert (await refused.json())["error"]["code"] == "origin_not_allowed"
    assert "Access-Control-Allow-Origin" not in refused.headers
    stored = await pool.fetchval("SELECT settings FROM sites WHERE site_id = $1", site)
    # Not even a site that stored "null" before origins were validated (sql/0008 drops it).
    await pool.execute("UPDATE sites SET settings = $2 WHERE site_id = $1", site,
                       {**stored, "allowed_origins": ["https://news.example"]})
    assert (await client.post(url, json=comment_body(), headers={"Origin": "null"})).status == 403
    assert (await client.get(url, headers={"Origin": "null"})).status == 200  # reading is public
