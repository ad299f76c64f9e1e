"""Statements of reasons and appeals: the author learns why, appeals once, another moderator
decides, the reader sees the outcome, the audit and the spam model follow."""

from __future__ import annotations

from moderation.sites import store as sites
from tests.factories import SSO_SECRET, decide, sso_token
from tests.helpers import bearer
from tests.review.test_review import HELD_TEXT, decide_all, post, queue, setup_site


async def own(client, site, comment: dict) -> dict:
    response = await client.get(f"/v1/sites/{site}/comments/{comment['id']}",
                                headers={"X-Edit-Token": comment["edit_token"]})
    assert response.status == 200, await response.text()
    return await response.json()


async def appeal(client, site, comment: dict, note: str = "It was a fair point.", **headers):
    return await client.post(f"/v1/sites/{site}/comments/{comment['id']}/appeal",
                             json={"note": note},
                             headers={"X-Edit-Token": comment["edit_token"], **headers})


async def spam_totals(pool, site) -> tuple[int, int]:
    row = await pool.fetchrow("SELECT spam_count, ham_count FROM spam_totals WHERE site_id = $1",
                              site)
    return (row["spam_count"], row["ham_count"]) if row else (0, 0)


async def test_a_rules_rejection_tells_the_author_the_policy_and_how_to_appeal(make_client, pool,
                                                                             site):
    client = await make_client(workers=0)
    await setup_site(pool, site)
    bot = await post(client, site, "Buy cheap watches today", website="http://spam.example")
    await decide_all(pool)
    seen = await own(client, site, bot)
    assert seen["status"] == "rejected"
    decision = seen["decision"]
    assert decision["reason_code"] == "spam" and decision["automated"] is True
    assert decision["appealable"] is True
    assert "automatic" in decision["explanation"] and "appeal" in decision["explanation"]
    assert seen["appeal"] is None
    # Nobody else learns anything about it.
    assert (await client.get(f"/v1/sites/{site}/comments/{bot['id']}")).status == 404


async def test_reject_with_a_reason_reinstated_on_appeal_by_another_moderator(make_client, pool,
                                                                            site):
    client = await make_client(workers=0)
    mona, _ = await setup_site(pool, site)
    max_ = await sites.create_token(pool, site, "moderator", "max")
    held = await post(client, site, HELD_TEXT, thread="pub")
    await decide_all(pool)
    unknown = await decide(client, site, held["id"], "reject", mona, reason_code="rudeness")
    assert unknown.status == 422 and "off_topic" in (await unknown.json())["error"]["details"][0]["message"]
    await decide(client, site, held["id"], "reject", mona, reason_code="off_topic")
    assert await spam_totals(pool, site) == (1, 0)
    decision = (await own(client, site, held))["decision"]
    assert (decision["reason_code"], decision["automated"]) == ("off_topic", False)
    assert decision["reason"] == "Off topic"

    assert (await client.post(f"/v1/sites/{site}/comments/{held['id']}/appeal",
                              json={"note": "x"})).status == 401
    forged = await appeal(client, site, held, **{"X-Edit-Token": "forged"})
    assert forged.status == 403
    filed = await appeal(client, site, held, note="  It criticised the article, not a person. ")
    assert filed.status == 202
    appeal_id = (await filed.json())["id"]
    again = await appeal(client, site, held)
    assert again.status == 409 and (await again.json())["error"]["code"] == "already_appealed"
    seen = await own(client, site, held)
    assert seen["appeal"]["status"] == "open" and seen["decision"]["appealable"] is False

    [item] = await queue(client, site, max_, "kind=appeal")
    # An item of its own kind, waiting ("held") like any; with the comment, its rules' verdicts
    # and its article.
    assert item["id"] == appeal_id and item["kind"] == "appeal" and item["status"] == "held"
    assert item["appeal"] == {"comment_id": held["id"], "rejected_by": "moderator:mona",
                              "note": "It criticised the article, not a person.",
                              "comment_status": "rejected", "comment_version": 1}
    assert item["body"] == HELD_TEXT and item["thread"]["slug"] == "pub"
    # Nobody listed the comment while it was held: its explanation is built for the appeal.
    suspect = next(v for v in item["verdicts"] if v["rule"] == "suspect_words")
    start, end = suspect["details"]["spans"][0]
    assert HELD_TEXT[start:end] == "idiot"
    assert item["commenter"]["counts"] == {"rejected": 1}  # their comments, not their appeals
    waiting = await (await client.get(f"/v1/sites/{site}/queue/waiting", headers=bearer(max_))).json()
    assert waiting["appeal"] == 1

    wrong = await decide(client, site, held["id"], "reinstate", max_)
    assert wrong.status == 422
    own_case = await decide(client, site, appeal_id, "reinstate", mona, kind="appeal")
    assert own_case.status == 403 and (await own_case.json())["error"]["code"] == "another_moderator"
    done = await decide(client, site, appeal_id, "reinstate", max_, kind="appeal",
                        revision=item["revision"])
    assert done.status == 200, await done.text()
    assert (await done.json())["status"] == "approved"  # the appeal granted
    repeat = await decide(client, site, appeal_id, "reinstate", max_, kind="appeal")
    assert (await repeat.json())["changed"] is False
    late = await decide(client, site, appeal_id, "uphold", max_, kind="appeal")
    assert late.status == 409

    seen = await own(client, site, held)
    assert seen["status"] == "approved" and seen["decision"] is None
    assert seen["appeal"]["status"] == "reinstated" and seen["appeal"]["decided_at"]
    page = await (await client.get(f"/v1/sites/{site}/threads/pub/comments")).json()
    assert [i["id"] for i in page["items"]] == [held["id"]]
    # The model forgets the rejection and learns the reinstatement.
    assert await spam_totals(pool, site) == (0, 1)
    audit = await (await client.get(f"/v1/sites/{site}/audit?kind=appeal",
                                    headers=bearer(max_))).json()
    assert [(a["actor"], a["action"], a["to_status"]) for a in audit["items"]] == [
        ("moderator:max", "approve", "approved"), ("commenter", "appeal", "held")]
    comment_audit = await (await client.get(f"/v1/sites/{site}/audit?kind=comment&actor=moderators",
                                            headers=bearer(max_))).json()
    assert [(a["actor"], a["action"], a["to_status"]) for a in comment_audit["items"]] == [
        ("moderator:max", "approve", "approved"), ("moderator:mona", "reject", "rejected")]
    assert await queue(client, site, max_, "kind=appeal") == []


async def test_upholding_a_rules_rejection_teaches_the_model(make_client, pool, site):
    client = await make_client(workers=0)
    mona, _ = await setup_site(pool, site)
    bot = await post(client, site, "Buy cheap watches today", website="http://spam.example")
    await decide_all(pool)
    filed = await appeal(client, site, bot, note="I am a person")
    appeal_id = (await filed.json())["id"]
    # Only one person holds a token here: they may decide even their own rejections' appeals.
    await pool.execute("UPDATE tokens SET revoked_at = now() WHERE site_id = $1 AND label = 'ada'",
                       site)
    done = await decide(client, site, appeal_id, "uphold", mona, kind="appeal",
                        reason="still an ad")
    assert (await done.json())["status"] == "rejected"  # the appeal refused: upheld
    assert await spam_totals(pool, site) == (1, 0)
    seen = await own(client, site, bot)
    assert seen["status"] == "rejected" and seen["appeal"]["status"] == "upheld"
    assert seen["decision"]["appealable"] is False
    [upheld] = await queue(client, site, mona, "kind=appeal&status=rejected")
    assert upheld["status"] == "rejected"


async def test_only_a_rejected_comment_is_appealed_and_within_the_rate_limit(make_client, pool,
                                                                           site):
    client = await make_client(workers=0)
    await setup_site(pool, site)
    fine = await post(client, site, "A calm and considered remark.")
    await decide_all(pool)
    published = await appeal(client, site, fine)
    assert published.status == 409 and (await published.json())["error"]["code"] == "not_rejected"
    blank = await appeal(client, site, fine, note="   ")
    assert blank.status == 422
    limited = (await pool.fetchval("SELECT settings FROM sites WHERE site_id = $1", site))
    limited["rate_limits"]["appeal"] = {"per_address": 1, "per_site": None, "window_s": 3600}
    await pool.execute("UPDATE sites SET settings = $2 WHERE site_id = $1", site, limited)
    assert (await appeal(client, site, fine)).status == 409
    refused = await appeal(client, site, fine)
    assert refused.status == 429 and refused.headers["Retry-After"]


async def test_a_verified_reader_appeals_with_their_account(make_client, pool, site):
    client = await make_client(workers=0)
    mona, _ = await setup_site(pool, site)
    await sites.set_sso_secret(pool, site, SSO_SECRET)
    posted = await client.post(f"/v1/sites/{site}/threads/t/comments", json={
        "body": HELD_TEXT, "sso_token": sso_token(site, sub="ray")})
    comment = await posted.json()
    await decide_all(pool)
    await decide(client, site, comment["id"], "reject", mona, reason_code="abuse")
    url = f"/v1/sites/{site}/comments/{comment['id']}/appeal"
    someone_else = await client.post(url, json={"note": "mine!", "sso_token": sso_token(site, sub="eve")})
    assert someone_else.status == 404
    forged = await client.post(url, json={"note": "mine!", "sso_token": sso_token(site, secret="x" * 40,
                                                                                   sub="ray")})
    assert forged.status == 401
    mine = await client.post(url, json={"note": "Harsh, but about the article.",
                                        "sso_token": sso_token(site, sub="ray")})
    assert mine.status == 202 and (await mine.json())["status"] == "open"


async def test_an_appeal_is_exported_and_erased_with_its_author(make_client, pool, site):
    client = await make_client(workers=0)
    mona, admin = await setup_site(pool, site)
    held = await post(client, site, HELD_TEXT)
    await decide_all(pool)
    await decide(client, site, held["id"], "reject", mona, reason_code="abuse")
    await appeal(client, site, held, note="My own words, my own note.")
    [item] = await queue(client, site, mona, "kind=appeal")
    max_ = await sites.create_token(pool, site, "moderator", "max")
    await decide(client, site, item["id"], "uphold", max_, kind="appeal",
                 reason="quotes the insult again")
    person = item["commenter"]["id"]
    exported = await (await client.get(f"/v1/sites/{site}/commenters/{person}/export",
                                       headers=bearer(admin))).json()
    assert [(a["note"], a["status"]) for a in exported["appeals"]] == [
        ("My own words, my own note.", "upheld")]
    assert (await client.delete(f"/v1/sites/{site}/commenters/{person}",
                                headers=bearer(admin))).status == 200
    assert await pool.fetchval("SELECT count(*) FROM appeals WHERE site_id = $1", site) == 0
    reasons = await pool.fetch("SELECT commenter, reason FROM audit WHERE site_id = $1 "
                               "AND kind = 'appeal'", site)
    assert reasons and all(r["reason"] == "" and r["commenter"] is None for r in reasons)
