"""Verified identity: SSO tokens checked with PyJWT, verified comments and ratings, set-sso."""

from __future__ import annotations

import asyncio
import base64
import json
import time
import warnings
from datetime import datetime, timezone

import pytest

from moderation import cli
from moderation.errors import ApiError
from moderation.identity.sso import verify_sso_token
from moderation.sites import store as sites
from moderation.sites.settings import SiteSettings
from moderation.sites.store import Site
from tests.conftest import wait_for
from tests.factories import SSO_SECRET, comment_body, drain, make_token, post_rating, sso_token

SITE = Site("ustv", "ustv", SiteSettings(), 1, SSO_SECRET)


def b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def code_of(token: str, site: Site = SITE) -> str:
    with pytest.raises(ApiError) as raised:
        verify_sso_token(site, token)
    return f"{raised.value.status} {raised.value.code}"


def test_a_valid_token_gives_the_verified_identity():
    identity = verify_sso_token(SITE, sso_token(sub="42", name=" Jane ", email="jane@example.org"))
    assert (identity.key, identity.name, identity.email) == ("sso:42", "Jane", "jane@example.org")


def test_expired_token_is_401_expired():
    assert code_of(sso_token(lifetime_s=60, issued_ago_s=3600)) == "401 sso_token_expired"


def test_expiry_follows_the_injected_clock():
    token = sso_token(lifetime_s=300)
    later = datetime.fromtimestamp(time.time() + 3600, timezone.utc)
    with pytest.raises(ApiError) as raised:
        verify_sso_token(SITE, token, later)
    assert raised.value.code == "sso_token_expired"


def test_wrong_key_is_401_invalid():
    assert code_of(sso_token(secret="another-sites-secret-0123456789abcdef")) == \
        "401 sso_token_invalid"


def test_tampered_payload_is_401_invalid():
    header, _, signature = sso_token(sub="reader").split(".")
    now = int(time.time())
    forged = b64({"sub": "admin", "name": "Admin", "iat": now, "exp": now + 300})
    assert code_of(f"{header}.{forged}.{signature}") == "401 sso_token_invalid"


def test_alg_none_is_401_invalid():
    now = int(time.time())
    token = (b64({"alg": "none", "typ": "JWT"}) + "." +
             b64({"sub": "x", "name": "X", "iat": now, "exp": now + 300}) + ".")
    assert code_of(token) == "401 sso_token_invalid"


def test_other_algorithms_and_garbage_are_401_invalid():
    with warnings.catch_warnings():  # PyJWT warns that this key is short for HS512
        warnings.simplefilter("ignore")
        hs512 = sso_token(algorithm="HS512")  # the right key, an algorithm we do not accept
    assert code_of(hs512) == "401 sso_token_invalid"
    assert code_of("not a token") == "401 sso_token_invalid"
    assert code_of(sso_token(issued_ago_s=-3600)) == "401 sso_token_invalid"  # from the future


def test_missing_claims_are_401_invalid():
    import jwt
    now = int(time.time())
    for claims in ({"name": "x", "iat": now, "exp": now + 60},          # no sub
                   {"sub": "x", "name": "x", "iat": now},               # no exp
                   {"sub": "x", "name": "x", "exp": now + 60},          # no iat
                   {"sub": "x", "iat": now, "exp": now + 60}):          # no name
        assert code_of(jwt.encode(claims, SSO_SECRET, algorithm="HS256")) == \
            "401 sso_token_invalid"


def test_the_audience_must_be_this_site_of_moderation():
    assert verify_sso_token(SITE, sso_token("ustv")).key == "sso:reader-1"
    assert code_of(sso_token("another-site")) == "401 sso_token_invalid"  # same secret, other site
    assert code_of(sso_token(aud="https://login.ustv.example")) == "401 sso_token_invalid"
    import jwt
    now = int(time.time())
    no_audience = jwt.encode({"sub": "x", "name": "X", "iat": now, "exp": now + 60}, SSO_SECRET,
                             algorithm="HS256")
    assert code_of(no_audience) == "401 sso_token_invalid"
    with pytest.raises(ApiError, match="'aud'"):
        verify_sso_token(SITE, no_audience)


def test_a_token_living_longer_than_the_site_allows_is_refused():
    with pytest.raises(ApiError, match="at most 3600 s") as raised:
        verify_sso_token(SITE, sso_token(lifetime_s=3601))
    assert raised.value.code == "sso_token_invalid"
    assert verify_sso_token(SITE, sso_token(lifetime_s=3600)).key == "sso:reader-1"
    patient = Site("ustv", "ustv", SiteSettings(sso_max_lifetime_s=86_400), 1, SSO_SECRET)
    assert verify_sso_token(patient, sso_token(lifetime_s=86_400)).key == "sso:reader-1"
    brief = Site("ustv", "ustv", SiteSettings(sso_max_lifetime_s=60), 1, SSO_SECRET)
    assert code_of(sso_token(lifetime_s=300), brief) == "401 sso_token_invalid"


def test_a_site_without_a_secret_is_400():
    site = Site("ustv", "ustv", SiteSettings(), 1)
    assert code_of(sso_token(), site) == "400 sso_not_configured"


async def test_verified_comment_shows_verified_author(make_client, pool, site):
    await sites.set_sso_secret(pool, site, SSO_SECRET)
    client = await make_client()
    url = f"/v1/sites/{site}/threads/t/comments"
    payload = {"body": "Signed in and commenting.", "sso_token": sso_token(site, sub="u-7", name="Ann")}
    response = await client.post(url, json=payload)
    assert response.status == 202, await response.text()
    accepted = await response.json()

    async def shown():
        r = await client.get(f"/v1/sites/{site}/comments/{accepted['id']}")
        return await r.json() if r.status == 200 else None
    comment = await wait_for(shown)
    assert comment["author"] == {"name": "Ann", "verified": True}
    row = await pool.fetchrow("SELECT commenter, verified FROM commenters WHERE site_id = $1", site)
    assert (row["commenter"], row["verified"]) == ("sso:u-7", True)

    expired = await client.post(url, json={**payload, "sso_token": sso_token(site, issued_ago_s=3600,
                                                                             lifetime_s=60)})
    assert expired.status == 401
    assert (await expired.json())["error"]["code"] == "sso_token_expired"


async def test_sso_on_a_site_without_secret_is_400(client, site):
    response = await client.post(f"/v1/sites/{site}/threads/t/comments",
                                 json=comment_body(sso_token=sso_token(site)))
    assert response.status == 400
    assert (await response.json())["error"]["code"] == "sso_not_configured"


async def test_verified_rater_is_one_rater_and_a_ban_rejects(make_client, pool, site):
    await sites.set_sso_secret(pool, site, SSO_SECRET)
    client = await make_client(workers=0)
    await post_rating(client, site, score=5, sso_token=sso_token(site, sub="fan"))
    await post_rating(client, site, score=2, sso_token=sso_token(site, sub="fan"))  # other browser
    await drain(pool)
    rows = await pool.fetch("SELECT rater, verified, status FROM ratings WHERE site_id = $1 "
                            "ORDER BY rating_id", site)
    assert [(r["rater"], r["verified"], r["status"]) for r in rows] == [
        ("sso:fan", True, "replaced"), ("sso:fan", True, "approved")]
    await pool.execute("UPDATE commenters SET banned_until = 'infinity', ban_reason = 'brigade' "
                       "WHERE site_id = $1 AND commenter = 'sso:fan'", site)
    banned = await post_rating(client, site, score=1, sso_token=sso_token(site, sub="fan"))
    await drain(pool)
    assert await pool.fetchval("SELECT status FROM ratings WHERE site_id = $1 AND rating_id = $2",
                               site, int(banned["id"])) == "rejected"
    forged = await client.post(f"/v1/sites/{site}/authors/kj/ratings",
                               json={"score": 3, "sso_token": sso_token(site, secret="x" * 40)})
    assert forged.status == 401
    assert (await forged.json())["error"]["code"] == "sso_token_invalid"


async def test_cli_set_sso_generates_or_takes_a_secret(database_url, pool, site, monkeypatch,
                                                        capsys):
    monkeypatch.setenv("DATABASE_URL", database_url)

    def run(*argv: str):  # the CLI runs its own event loop
        return asyncio.to_thread(cli.main, ["site", "set-sso", *argv])
    assert await run(site) == 0
    printed = capsys.readouterr().out.strip().splitlines()[-1]
    assert await pool.fetchval("SELECT sso_secret FROM sites WHERE site_id = $1", site) == printed
    assert len(printed) >= 32
    chosen = "chosen-secret-of-the-newsroom-0123456789"
    assert await run(site, "--secret", chosen) == 0
    assert await pool.fetchval("SELECT sso_secret FROM sites WHERE site_id = $1", site) == chosen
    assert await run(site, "--secret", "short") == 2
    assert await run("no-such-site") == 1


async def test_admins_set_generate_and_remove_the_secret_over_the_api(client, site, pool):
    token = await make_token(pool, site)
    headers = {"Authorization": f"Bearer {token}"}
    url = f"/v1/sites/{site}/sso"
    assert await (await client.get(url, headers=headers)).json() == {"enabled": False, "secret": None}
    generated = await (await client.put(url, json={}, headers=headers)).json()
    assert generated["enabled"] and len(generated["secret"]) >= 32
    own = await (await client.put(url, json={"secret": SSO_SECRET}, headers=headers)).json()
    assert own["secret"] == SSO_SECRET
    comment = await client.post(f"/v1/sites/{site}/threads/t/comments",
                                json={"body": "verified hello", "sso_token": sso_token(site)})
    assert comment.status == 202
    assert (await client.put(url, json={"secret": "short"}, headers=headers)).status == 422
    assert await (await client.delete(url, headers=headers)).json() == {"enabled": False,
                                                                         "secret": None}
    refused = await client.post(f"/v1/sites/{site}/threads/t/comments",
                                json={"body": "verified hello", "sso_token": sso_token(site)})
    assert refused.status == 400
    moderator = await make_token(pool, site, "moderator")
    assert (await client.put(url, json={}, headers={"Authorization": f"Bearer {moderator}"})).status == 403
