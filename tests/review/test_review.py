"""The moderators' API: queue, claims, decisions, reports, commenters, audit, rule precision."""

from __future__ import annotations

from moderation.sites import store as sites
from tests.factories import decide, drain, make_token, post_comment, site_settings
from tests.helpers import bearer

HELD_TEXT = "You are an idiot and this article is garbage"  # the default suspect list holds it


async def decide_all(pool) -> None:
    await drain(pool)


async def post(client, site, text: str, name: str = "Reader", thread: str = "t", **extra) -> dict:
    return await post_comment(client, site, thread, text=text, name=name, **extra)


async def setup_site(pool, site, **settings) -> tuple[str, str]:
    await sites.save_settings(pool, site, site_settings(
        rules={"flood": {"enabled": False}, "duplicate": {"enabled": False}}, **settings))
    return (await make_token(pool, site, "moderator"),
            await make_token(pool, site))


async def queue(client, site, token, query: str = "") -> list[dict]:
    response = await client.get(f"/v1/sites/{site}/queue?{query}", headers=bearer(token))
    assert response.status == 200, await response.text()
    return (await response.json())["items"]


async def test_held_comment_is_listed_with_its_reasons(make_client, pool, site):
    client = await make_client(workers=0)
    mod, _ = await setup_site(pool, site)
    held = await post(client, site, HELD_TEXT, name="Troll")
    await post(client, site, "A calm and considered remark.")
    await decide_all(pool)
    items = await queue(client, site, mod)
    assert [i["id"] for i in items] == [held["id"]]
    item = items[0]
    assert item["body"] == HELD_TEXT and item["status"] == "held" and item["kind"] == "comment"
    # Held by the combined score; the evidence behind it is listed with its points and spans.
    combined = next(v for v in item["verdicts"] if v["rule"] == "combined")
    assert combined["action"] == "hold" and combined["details"]["category"] == "abuse"
    suspect = next(v for v in item["verdicts"] if v["rule"] == "suspect_words")
    assert suspect["action"] == "allow" and suspect["details"]["points"] > 0
    assert "idiot*" in suspect["details"]["matched"]
    start, end = suspect["details"]["spans"][0]
    assert HELD_TEXT[start:end] == "idiot"
    assert item["commenter"]["counts"] == {"held": 1}
    assert item["priority"] > 0
    assert await queue(client, site, mod, "rule=suspect_words") == items
    assert await queue(client, site, mod, "rule=links") == []
    assert [i["id"] for i in await queue(client, site, mod, "order=priority")] == [held["id"]]


async def test_approving_publishes_and_repeating_is_harmless(make_client, pool, site):
    client = await make_client(workers=0)
    mod, _ = await setup_site(pool, site)
    held = await post(client, site, HELD_TEXT, thread="pub")
    await decide_all(pool)
    first = await decide(client, site, held["id"], "approve", mod, reason="fair criticism")
    assert first.status == 200
    decided = await first.json()
    assert decided["status"] == "approved" and decided["changed"] is True
    again = await (await decide(client, site, held["id"], "approve", mod)).json()
    assert again["changed"] is False and again["status"] == "approved"
    page = await (await client.get(f"/v1/sites/{site}/threads/pub/comments")).json()
    assert [i["id"] for i in page["items"]] == [held["id"]]
    assert await queue(client, site, mod) == []
    audit = await (await client.get(f"/v1/sites/{site}/audit", headers=bearer(mod))).json()
    actors = [(a["actor"], a["to_status"]) for a in audit["items"]]
    assert actors[:2] == [("moderator:mona", "approved"), ("rules", "held")]


async def test_second_moderator_deciding_a_stale_revision_gets_409(make_client, pool, site):
    client = await make_client(workers=0)
    mona, _ = await setup_site(pool, site)
    max_ = await make_token(pool, site, "moderator", "max")
    held = await post(client, site, HELD_TEXT)
    await decide_all(pool)
    seen = (await queue(client, site, mona))[0]["revision"]
    ok = await decide(client, site, held["id"], "reject", mona, revision=seen)
    assert ok.status == 200
    late = await decide(client, site, held["id"], "approve", max_, revision=seen)
    assert late.status == 409
    body = await late.json()
    assert body["error"]["code"] == "stale_decision"
    assert body["error"]["details"][0]["status"] == "rejected"


async def test_claims_hide_items_from_other_moderators_until_they_expire(make_client, pool, site):
    client = await make_client(workers=0)
    mona, _ = await setup_site(pool, site)
    max_ = await make_token(pool, site, "moderator", "max")
    held = await post(client, site, HELD_TEXT)
    await decide_all(pool)
    claim_url = f"/v1/sites/{site}/queue/comment/{held['id']}/claim"
    claimed = await client.post(claim_url, headers=bearer(mona))
    assert claimed.status == 200 and (await claimed.json())["claimed_by"] == "moderator:mona"
    assert await queue(client, site, max_) == []
    assert len(await queue(client, site, mona)) == 1
    assert len(await queue(client, site, max_, "include_claimed=true")) == 1
    taken = await client.post(claim_url, headers=bearer(max_))
    assert taken.status == 409
    await pool.execute("UPDATE claims SET expires_at = now() - interval '1 s' WHERE site_id = $1",
                       site)
    assert len(await queue(client, site, max_)) == 1
    assert (await client.post(claim_url, headers=bearer(max_))).status == 200


async def test_report_threshold_sends_a_comment_back_to_review(make_client, pool, site):
    client = await make_client(workers=0, trusted_proxies="127.0.0.1")
    mod, _ = await setup_site(pool, site, report_threshold=2)
    published = await post(client, site, "A perfectly ordinary comment.")
    await decide_all(pool)
    url = f"/v1/sites/{site}/comments/{published['id']}/reports"

    async def report(reader_ip: str, reason: str = "abuse", **extra):
        return await client.post(url, json={"reason": reason, **extra},
                                 headers={"X-Forwarded-For": reader_ip})

    for _ in range(2):  # the same reader twice counts once
        assert (await report("203.0.113.1")).status == 202
    assert await queue(client, site, mod) == []
    await report("203.0.113.2", "spam", note="ad")
    items = await queue(client, site, mod)
    assert [i["id"] for i in items] == [published["id"]]
    assert sorted(r["reason"] for r in items[0]["reports"]) == ["abuse", "spam"]
    assert (await client.get(f"/v1/sites/{site}/comments/{published['id']}")).status == 404

    # A moderator keeps it: the reports before that decision are answered, new ones count anew.
    await decide(client, site, published["id"], "approve", mod)
    await report("203.0.113.3")
    assert await queue(client, site, mod) == []
    await report("203.0.113.4")
    assert [i["id"] for i in await queue(client, site, mod)] == [published["id"]]

    assert (await report("203.0.113.5", "boring")).status == 422
    assert (await report("203.0.113.5", fingerprint="one-of-many")).status == 422
    unknown = await client.post(f"/v1/sites/{site}/comments/999999/reports", json={"reason": "spam"})
    assert unknown.status == 404


async def test_bulk_decisions_and_rejecting_everything_from_one_commenter(make_client, pool, site):
    client = await make_client(workers=0)
    mod, _ = await setup_site(pool, site, premoderation="all")
    a = await post(client, site, "first held comment", name="A")
    b = await post(client, site, "second held comment", name="B")
    spammer = [await post(client, site, f"spam number {n}", name="Spammer") for n in range(3)]
    await decide_all(pool)
    url = f"/v1/sites/{site}/queue/decisions"
    bulk = await client.post(url, json={"action": "reject", "items": [
        {"id": a["id"]}, {"id": b["id"]}, {"id": "999999"}]}, headers=bearer(mod))
    results = (await bulk.json())["results"]
    assert [r.get("status") for r in results] == ["rejected", "rejected", None]
    assert results[2]["error"]["code"] == "not_found"
    person = (await queue(client, site, mod))[0]["commenter"]["id"]
    everything = await client.post(url, json={"action": "reject", "commenter": person,
                                              "ban_commenter": True}, headers=bearer(mod))
    assert sorted(r["id"] for r in (await everything.json())["results"]) == \
        sorted(s["id"] for s in spammer)
    assert await queue(client, site, mod) == []
    profile = await (await client.get(f"/v1/sites/{site}/commenters/{person}",
                                      headers=bearer(mod))).json()
    assert profile["counts"]["comment"] == {"rejected": 3}
    assert profile["ban"]["permanent"] is True


async def test_banned_commenter_is_rejected_until_unbanned(make_client, pool, site):
    client = await make_client(workers=0)
    mod, _ = await setup_site(pool, site)
    first = await post(client, site, "Hello from a regular.", name="Regular")
    await decide_all(pool)
    person = (await queue(client, site, mod, "status=approved"))[0]["commenter"]["id"]
    ban_url = f"/v1/sites/{site}/commenters/{person}/ban"
    banned = await client.post(ban_url, json={"duration_s": 3600, "reason": "insults"},
                               headers=bearer(mod))
    assert banned.status == 200
    assert (await banned.json())["ban"]["reason"] == "insults"
    second = await post(client, site, "Hello again from a regular.", name="Regular")
    await decide_all(pool)
    assert (await client.get(f"/v1/sites/{site}/comments/{second['id']}")).status == 404
    assert (await client.delete(ban_url, headers=bearer(mod))).status == 200
    third = await post(client, site, "Back and behaving.", name="Regular")
    await decide_all(pool)
    assert (await client.get(f"/v1/sites/{site}/comments/{third['id']}")).status == 200
    assert first["id"]


async def test_export_and_erase_are_admin_only_and_keep_counts_exact(make_client, pool, site):
    client = await make_client(workers=0)
    mod, admin = await setup_site(pool, site)
    await post(client, site, "Mine, to be erased.", name="Leaving", thread="x")
    await post(client, site, "Someone else's comment.", name="Staying", thread="x")
    await decide_all(pool)
    items = await queue(client, site, mod, "status=approved")
    person = next(i["commenter"]["id"] for i in items if i["author_name"] == "Leaving")
    export_url = f"/v1/sites/{site}/commenters/{person}/export"
    assert (await client.get(export_url, headers=bearer(mod))).status == 403
    exported = await (await client.get(export_url, headers=bearer(admin))).json()
    assert [c["body"] for c in exported["comments"]] == ["Mine, to be erased."]
    erase_url = f"/v1/sites/{site}/commenters/{person}"
    assert (await client.delete(erase_url, headers=bearer(mod))).status == 403
    erased = await client.delete(erase_url, headers=bearer(admin))
    assert (await erased.json())["erased"] == {"comments": 1, "ratings": 0}
    counts = await (await client.get(f"/v1/sites/{site}/counts?thread=x")).json()
    assert counts == {"counts": {"x": 1}}
    assert (await client.get(export_url, headers=bearer(admin))).status == 404


async def test_rule_stats_count_overturned_holds(make_client, pool, site):
    client = await make_client(workers=0)
    mod, _ = await setup_site(pool, site)
    held = [await post(client, site, HELD_TEXT + f" {n}", name=f"R{n}") for n in range(2)]
    await decide_all(pool)
    for item, action in zip(held, ("approve", "reject")):
        await decide(client, site, item['id'], action, mod)
    stats = await (await client.get(f"/v1/sites/{site}/rules/stats", headers=bearer(mod))).json()
    suspect = next(r for r in stats["rules"] if r["rule"] == "suspect_words")
    assert (suspect["flagged"], suspect["reviewed"], suspect["overturned"]) == (2, 2, 1)
    assert suspect["overturn_rate"] == 0.5
    # Everything the moderators' page needs to filter and claim, from the server.
    assert "threats" in stats["rule_names"]["comment"] and "combined" in stats["rule_names"]["comment"]
    assert "banned_rater" in stats["rule_names"]["rating"]
    assert stats["claim_s"] == 300


async def test_moderator_decisions_train_learned_spam(make_client, pool, site):
    client = await make_client(workers=0)
    mod, _ = await setup_site(pool, site)
    held = await post(client, site, HELD_TEXT)
    await decide_all(pool)
    await decide(client, site, held["id"], "reject", mod)
    totals = await pool.fetchrow("SELECT spam_count, ham_count FROM spam_totals WHERE site_id = $1",
                                 site)
    assert (totals["spam_count"], totals["ham_count"]) == (1, 0)
    # Reversed by a moderator: the classifier forgets the first lesson and learns the second.
    await decide(client, site, held["id"], "approve", mod)
    totals = await pool.fetchrow("SELECT spam_count, ham_count FROM spam_totals WHERE site_id = $1",
                                 site)
    assert (totals["spam_count"], totals["ham_count"]) == (0, 1)


async def test_another_sites_moderator_gets_404_everywhere(client, new_site, pool):
    mine, theirs = await new_site(), await new_site()
    token = await make_token(pool, theirs)
    for method, path in [("GET", "queue"), ("POST", "queue/comment/1/decision"),
                         ("POST", "queue/comment/1/claim"), ("POST", "queue/decisions"),
                         ("GET", "commenters/anon:x"), ("POST", "commenters/anon:x/ban"),
                         ("GET", "commenters/anon:x/export"), ("DELETE", "commenters/anon:x"),
                         ("GET", "audit"), ("GET", "rules/stats")]:
        response = await client.request(method, f"/v1/sites/{mine}/{path}", headers=bearer(token),
                                        json={})
        assert response.status == 404, (method, path, response.status)
    assert (await client.get(f"/v1/sites/{mine}/queue")).status == 401


async def test_erasing_a_verified_reader_corrects_the_rating_aggregate(make_client, pool, site):
    from tests.factories import SSO_SECRET, post_rating, sso_token
    client = await make_client(workers=0)
    _, admin = await setup_site(pool, site)
    await sites.set_sso_secret(pool, site, SSO_SECRET)
    await post_rating(client, site, author="kj", score=5, sso_token=sso_token(site, sub="leaver"))
    await post_rating(client, site, author="kj", score=3, sso_token=sso_token(site, sub="stayer"))
    await post(client, site, "Signed in and commenting.", sso_token=sso_token(site, sub="leaver"))
    await decide_all(pool)
    before = await (await client.get(f"/v1/sites/{site}/authors/kj/rating")).json()
    assert (before["count"], before["average"]) == (2, 4.0)
    erased = await client.delete(f"/v1/sites/{site}/commenters/sso:leaver", headers=bearer(admin))
    assert (await erased.json())["erased"] == {"comments": 1, "ratings": 1}
    after = await (await client.get(f"/v1/sites/{site}/authors/kj/rating")).json()
    assert (after["count"], after["average"], after["histogram"]["5"]) == (1, 3.0, 0)


async def test_an_edit_makes_earlier_views_stale_and_a_rejection_final(make_client, pool, site):
    client = await make_client(workers=0)
    mod, _ = await setup_site(pool, site)
    held = await post(client, site, HELD_TEXT)
    await decide_all(pool)
    seen = (await queue(client, site, mod))[0]["revision"]
    edited = await client.patch(f"/v1/sites/{site}/comments/{held['id']}",
                                json={"body": HELD_TEXT + "!"},
                                headers={"X-Edit-Token": held["edit_token"]})
    assert edited.status == 202
    await decide_all(pool)
    stale = await decide(client, site, held["id"], "approve", mod, revision=seen)
    assert stale.status == 409
    await decide(client, site, held["id"], "reject", mod)
    undo = await client.patch(f"/v1/sites/{site}/comments/{held['id']}", json={"body": "Nice."},
                              headers={"X-Edit-Token": held["edit_token"]})
    assert undo.status == 409 and (await undo.json())["error"]["code"] == "comment_rejected"


async def test_bulk_reject_and_ban_bans_each_items_commenter(make_client, pool, site):
    client = await make_client(workers=0)
    mod, _ = await setup_site(pool, site)
    held = [await post(client, site, HELD_TEXT + f" {n}", name=f"Troll {n}") for n in range(2)]
    await decide_all(pool)
    people = [i["commenter"]["id"] for i in await queue(client, site, mod)]
    await client.post(f"/v1/sites/{site}/queue/decisions", headers=bearer(mod), json={
        "action": "reject", "ban_commenter": True, "items": [{"id": h["id"]} for h in held]})
    for person in people:
        profile = await (await client.get(f"/v1/sites/{site}/commenters/{person}",
                                          headers=bearer(mod))).json()
        assert profile["ban"]["permanent"] is True


async def test_paging_by_priority_loses_no_item(make_client, pool, site):
    client = await make_client(workers=0)
    mod, _ = await setup_site(pool, site)
    held = [await post(client, site, HELD_TEXT + f" number {n}", name=f"R{n}") for n in range(5)]
    await decide_all(pool)
    seen, cursor = [], None
    while True:
        query = "order=priority&limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = await (await client.get(f"/v1/sites/{site}/queue?{query}",
                                       headers=bearer(mod))).json()
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted(h["id"] for h in held)


async def test_erasing_a_commenter_keeps_deeper_replies_visible(make_client, pool, site):
    client = await make_client(workers=0)
    _, admin = await setup_site(pool, site)
    a = await post(client, site, "The erased person's comment.", name="Leaving", thread="deep")
    b = await post(client, site, "A reply to it.", name="B", thread="deep", parent_id=a["id"])
    c = await post(client, site, "A reply to the reply.", name="C", thread="deep",
                   parent_id=b["id"])
    await decide_all(pool)
    person = await pool.fetchval("SELECT commenter FROM comments WHERE site_id = $1 AND "
                                 "comment_id = $2", site, int(a["id"]))
    await client.delete(f"/v1/sites/{site}/commenters/{person}", headers=bearer(admin))
    page = await (await client.get(f"/v1/sites/{site}/threads/deep/comments")).json()
    assert page["total"] == 2
    assert [i["id"] for i in page["items"]] == [b["id"]]
    assert [r["id"] for r in page["items"][0]["replies"]] == [c["id"]]


async def test_a_new_display_name_does_not_undo_a_ban_on_an_anonymous_commenter(make_client, pool,
                                                                                 site):
    """"Troll2" from the address of the banned "Troll" was approved; the ban holds the address
    (for as long as the ban), and a rating from it is refused too. Others are unaffected."""
    client = await make_client(workers=0)
    mod, _ = await setup_site(pool, site)
    address = {"X-Forwarded-For": "198.51.100.66"}
    url = f"/v1/sites/{site}/threads/t/comments"
    first = await client.post(url, json={"body": "First words from the troll.",
                                         "commenter": {"name": "Troll"}}, headers=address)
    assert first.status == 202
    await decide_all(pool)
    person = (await queue(client, site, mod, "status=approved"))[0]["commenter"]["id"]
    banned = await client.post(f"/v1/sites/{site}/commenters/{person}/ban",
                               json={"duration_s": 3600, "reason": "insults"}, headers=bearer(mod))
    assert banned.status == 200

    renamed = await client.post(url, json={"body": "Totally somebody else here.",
                                           "commenter": {"name": "Troll2"}}, headers=address)
    rating = await client.post(f"/v1/sites/{site}/authors/killian-jones/ratings",
                               json={"score": 1, "rater": {"fingerprint": "fresh"}}, headers=address)
    neighbour = await client.post(url, json={"body": "A neighbour with an opinion.",
                                             "commenter": {"name": "Neighbour"}},
                                  headers={"X-Forwarded-For": "198.51.100.67"})
    await decide_all(pool)
    renamed_id = int((await renamed.json())["id"])
    status = await pool.fetchval("SELECT status FROM comments WHERE site_id = $1 AND comment_id = $2",
                                 site, renamed_id)
    assert status == "rejected"
    reason = await pool.fetchval("SELECT reason FROM verdicts WHERE site_id = $1 AND item_id = $2 "
                                 "AND rule = 'commenter'", site, renamed_id)
    assert reason.startswith("address of a banned commenter until")
    assert await pool.fetchval("SELECT status FROM ratings WHERE site_id = $1 AND rating_id = $2",
                               site, int((await rating.json())["id"])) == "rejected"
    assert (await client.get(f"/v1/sites/{site}/comments/{(await neighbour.json())['id']}")).status == 200

    # Lifting the ban frees the address.
    assert (await client.delete(f"/v1/sites/{site}/commenters/{person}/ban",
                                headers=bearer(mod))).status == 200
    back = await client.post(url, json={"body": "Back under a new name, behaving.",
                                        "commenter": {"name": "Troll3"}}, headers=address)
    await decide_all(pool)
    assert (await client.get(f"/v1/sites/{site}/comments/{(await back.json())['id']}")).status == 200


async def test_erasure_untrains_the_spam_model_and_scrubs_audit_reasons(make_client, pool, site):
    client = await make_client(workers=0)
    mod, admin = await setup_site(pool, site, premoderation="all")
    spam = await post(client, site, "Cheap zorblax pills at zorblax dot example", name="Spammer")
    kept = await post(client, site, "An honest remark on the budget debate", name="Spammer")
    other = await post(client, site, "Another reader's honest remark", name="Other")
    await decide_all(pool)
    for comment, action, reason in ((spam, "reject", "selling 'zorblax pills'"),
                                    (kept, "reject", "first thought it spam"),
                                    (kept, "approve", "it says 'budget debate', fine"),
                                    (other, "approve", "fine")):
        decided = await decide(client, site, comment['id'], action, mod, reason=reason)
        assert decided.status == 200
    learned = "SELECT coalesce(sum(spam_count), 0), coalesce(sum(ham_count), 0) FROM spam_tokens " \
              "WHERE site_id = $1 AND token = $2"
    assert tuple(await pool.fetchrow(learned, site, "zorblax")) == (1, 0)
    assert tuple(await pool.fetchrow(learned, site, "budget")) == (0, 1)
    totals = "SELECT spam_count, ham_count FROM spam_totals WHERE site_id = $1"
    assert tuple(await pool.fetchrow(totals, site)) == (1, 2)

    person = (await queue(client, site, mod, "status=rejected"))[0]["commenter"]["id"]
    erased = await client.delete(f"/v1/sites/{site}/commenters/{person}", headers=bearer(admin))
    assert erased.status == 200
    assert tuple(await pool.fetchrow(learned, site, "zorblax")) == (0, 0)
    assert tuple(await pool.fetchrow(learned, site, "budget")) == (0, 0)
    assert tuple(await pool.fetchrow(totals, site)) == (0, 1)  # the other reader's lesson stays
    reasons = await pool.fetch("SELECT item_id, reason FROM audit WHERE site_id = $1 "
                               "AND kind = 'comment'", site)
    mine = {int(spam["id"]), int(kept["id"])}
    assert {r["reason"] for r in reasons if r["item_id"] in mine} == {""}
    assert "fine" in {r["reason"] for r in reasons if r["item_id"] == int(other["id"])}
