"""Admin API of the newsroom's desk: settings changed field by field, and named tokens."""

from __future__ import annotations

import asyncio

from moderation.sites import store as sites
from tests.helpers import bearer


async def test_patch_changes_only_the_fields_given_and_put_still_replaces(client, site, pool):
    admin = await sites.create_token(pool, site, "admin", "ada")
    url = f"/v1/sites/{site}/settings"
    await client.put(url, json={"allowed_origins": ["https://news.example"],
                                "rules": {"links": {"max_links": 4}}}, headers=bearer(admin))
    patched = await client.patch(url, json={"edit_window_s": 60,
                                            "rules": {"links": {"action": "reject"}},
                                            "rate_limits": {"comment": {"per_address": 5}}},
                                 headers=bearer(admin))
    assert patched.status == 200, await patched.text()
    settings = await (await client.get(url, headers=bearer(admin))).json()
    assert settings["edit_window_s"] == 60
    assert settings["allowed_origins"] == ["https://news.example"]  # untouched
    assert settings["rules"]["links"] == {"max_links": 4, "action": "reject"}  # merged
    assert settings["rate_limits"]["comment"]["per_address"] == 5
    assert settings["rate_limits"]["comment"]["window_s"] == 60
    # null puts a field back to its default.
    await client.patch(url, json={"rules": {"links": None}, "edit_window_s": None},
                       headers=bearer(admin))
    settings = await (await client.get(url, headers=bearer(admin))).json()
    assert "links" not in settings["rules"] and settings["edit_window_s"] == 900
    # PUT replaces the whole document: what it leaves out goes back to its default.
    await client.put(url, json={"premoderation": "all"}, headers=bearer(admin))
    settings = await (await client.get(url, headers=bearer(admin))).json()
    assert settings["premoderation"] == "all" and settings["allowed_origins"] == []


async def test_patch_refuses_invalid_fields_with_details_and_stores_nothing(client, site, pool):
    admin = await sites.create_token(pool, site, "admin", "ada")
    url = f"/v1/sites/{site}/settings"
    before = await (await client.get(url, headers=bearer(admin))).json()
    bad = await client.patch(url, json={"edit_window_s": 60, "report_threshold": 0,
                                        "allowed_origins": ["ftp://x"],
                                        "rules": {"flood": {"window_s": 61}}},
                             headers=bearer(admin))
    assert bad.status == 422
    error = (await bad.json())["error"]
    assert error["code"] == "validation_failed"
    fields = {d["field"] for d in error["details"]}
    assert {"report_threshold", "allowed_origins.0", "rules.flood.window_s"} <= fields
    assert await (await client.get(url, headers=bearer(admin))).json() == before
    assert (await client.patch(url, json=[1], headers=bearer(admin))).status == 422
    assert (await client.patch(url, data="{", headers={**bearer(admin), "Content-Type":
                                                      "application/json"})).status == 400
    moderator = await sites.create_token(pool, site, "moderator", "mona")
    assert (await client.patch(url, json={}, headers=bearer(moderator))).status == 403


async def test_rejection_reasons_are_a_setting_with_a_default_list(client, site, pool):
    admin = await sites.create_token(pool, site, "admin", "ada")
    url = f"/v1/sites/{site}/settings"
    settings = await (await client.get(url, headers=bearer(admin))).json()
    assert {"spam", "abuse", "off_topic", "other"} <= {r["code"] for r in settings["rejection_reasons"]}
    twice = [{"code": "spam", "label": "Spam", "explanation": "No ads."}] * 2
    bad = await client.patch(url, json={"rejection_reasons": twice}, headers=bearer(admin))
    assert bad.status == 422
    ours = [{"code": "rude", "label": "Rude", "explanation": "Be kind."}]
    ok = await client.patch(url, json={"rejection_reasons": ours}, headers=bearer(admin))
    assert (await ok.json())["rejection_reasons"] == ours


async def test_admins_create_list_and_revoke_named_tokens(client, site, pool):
    admin = await sites.create_token(pool, site, "admin", "ada")
    url = f"/v1/sites/{site}/tokens"
    created = await client.post(url, json={"role": "moderator", "label": "Mona"},
                                headers=bearer(admin))
    assert created.status == 201
    mona = await created.json()
    assert mona["label"] == "Mona" and mona["role"] == "moderator" and mona["token"]
    queue = f"/v1/sites/{site}/queue"
    assert (await client.get(queue, headers=bearer(mona["token"]))).status == 200
    listed = (await (await client.get(url, headers=bearer(admin))).json())["items"]
    assert [(t["label"], t["role"]) for t in listed] == [("ada", "admin"), ("Mona", "moderator")]
    assert all("token" not in t for t in listed)
    taken = await client.post(url, json={"role": "admin", "label": "Mona"}, headers=bearer(admin))
    assert taken.status == 409 and (await taken.json())["error"]["code"] == "label_taken"
    blank = await client.post(url, json={"role": "admin", "label": "  "}, headers=bearer(admin))
    assert blank.status == 422
    revoked = await client.delete(f"{url}/{mona['id']}", headers=bearer(admin))
    assert revoked.status == 204
    assert (await client.get(queue, headers=bearer(mona["token"]))).status == 401
    assert (await client.delete(f"{url}/{mona['id']}", headers=bearer(admin))).status == 404
    # The label is free again once its token is revoked.
    again = await client.post(url, json={"role": "moderator", "label": "Mona"},
                              headers=bearer(admin))
    assert again.status == 201
    moderator = (await again.json())["token"]
    assert (await client.get(url, headers=bearer(moderator))).status == 403


async def test_another_sites_admin_gets_404_on_the_desk(client, new_site, pool):
    mine, theirs = await new_site(), await new_site()
    their_admin = await sites.create_token(pool, theirs, "admin", "eve")
    mine_admin = await sites.create_token(pool, mine, "admin", "ada")
    listed = (await (await client.get(f"/v1/sites/{mine}/tokens",
                                      headers=bearer(mine_admin))).json())["items"]
    for method, path, body in [
            ("PATCH", f"/v1/sites/{mine}/settings", {}),
            ("GET", f"/v1/sites/{mine}/tokens", None),
            ("POST", f"/v1/sites/{mine}/tokens", {"role": "admin", "label": "eve"}),
            ("DELETE", f"/v1/sites/{mine}/tokens/{listed[0]['id']}", None),
            ("GET", f"/v1/sites/{mine}/commenters?q=a", None),
            ("GET", f"/v1/sites/{mine}/rules", None),
            ("GET", f"/v1/sites/{mine}/queue/waiting", None),
            ("GET", f"/v1/sites/{mine}/queue?kind=appeal", None),
            ("POST", f"/v1/sites/{mine}/queue/appeal/1/decision", {"action": "reinstate"})]:
        response = await client.request(method, path, json=body, headers=bearer(their_admin))
        assert response.status == 404, (method, path)
    still = (await (await client.get(f"/v1/sites/{mine}/tokens",
                                     headers=bearer(mine_admin))).json())["items"]
    assert still == listed


async def test_two_admins_patching_different_fields_both_keep_their_change(client, site, pool):
    admin = await sites.create_token(pool, site, "admin", "ada")
    url = f"/v1/sites/{site}/settings"
    changes = [{"edit_window_s": 120}, {"report_threshold": 7}, {"rules": {"links": {"max_links": 9}}},
               {"rules": {"flood": {"window_s": 600}}}]
    answers = await asyncio.gather(*(client.patch(url, json=c, headers=bearer(admin)) for c in changes))
    assert [a.status for a in answers] == [200] * 4
    settings = await (await client.get(url, headers=bearer(admin))).json()
    assert (settings["edit_window_s"], settings["report_threshold"]) == (120, 7)
    assert settings["rules"]["links"] == {"max_links": 9}
    assert settings["rules"]["flood"] == {"window_s": 600}
