"""The public comment API end to end: post, read, edit, delete, list, count."""

from __future__ import annotations

from tests.conftest import wait_for
from tests.factories import comment_body, post_comment


async def status_of(client, site, comment) -> str | None:
    response = await client.get(f"/v1/sites/{site}/comments/{comment['id']}",
                                headers={"X-Edit-Token": comment["edit_token"]})
    return (await response.json())["status"] if response.status == 200 else None


async def test_posted_comment_is_pending_then_approved(client, site):
    accepted = await post_comment(client, site, thread="nato-summit",
                                  thread_url="https://news.example/nato", thread_title="NATO")
    assert accepted["status"] == "pending"
    assert accepted["thread"] == "nato-summit"
    assert accepted["id"] and accepted["edit_token"] and accepted["created_at"]
    await wait_for(lambda: _is(client, site, accepted, "approved"))
    public = await client.get(f"/v1/sites/{site}/comments/{accepted['id']}")
    assert public.status == 200
    shown = await public.json()
    assert shown["body"] == "A thoughtful comment about the article."
    assert shown["author"]["verified"] is False
    assert "ip_hash" not in shown and "email" not in shown


async def _is(client, site, comment, status) -> bool:
    return await status_of(client, site, comment) == status


async def test_body_is_stored_exactly_as_written(client, site):
    text = "<b>bold?</b> & \"quotes\" \u00fcml\u00e4ute \U0001F600\n  second line  "
    accepted = await post_comment(client, site, text=text)
    await wait_for(lambda: _is(client, site, accepted, "approved"))
    shown = await (await client.get(f"/v1/sites/{site}/comments/{accepted['id']}")).json()
    assert shown["body"] == text


async def test_rejected_comment_is_visible_only_with_edit_token(client, site):
    accepted = await post_comment(client, site, text="buy now", website="http://spam.example")
    await wait_for(lambda: _is(client, site, accepted, "rejected"))
    anonymous = await client.get(f"/v1/sites/{site}/comments/{accepted['id']}")
    assert anonymous.status == 404
    wrong = await client.get(f"/v1/sites/{site}/comments/{accepted['id']}",
                             headers={"X-Edit-Token": "not-the-token"})
    assert wrong.status == 404


async def test_idempotent_retry_returns_the_same_comment(client, site):
    url = f"/v1/sites/{site}/threads/t/comments"
    payload = comment_body("Same comment, sent twice by a flaky network.")
    headers = {"Idempotency-Key": "retry-1"}
    first = await (await client.post(url, json=payload, headers=headers)).json()
    second_response = await client.post(url, json=payload, headers=headers)
    assert second_response.status == 202
    second = await second_response.json()
    assert second["id"] == first["id"]
    assert second["edit_token"] == first["edit_token"]
    other = await client.post(url, json={**payload, "body": "different text"}, headers=headers)
    assert other.status == 409
    assert (await other.json())["error"]["code"] == "idempotency_key_reused"
    # Another reader's key is their own, even when it happens to be the same string.
    stranger = await client.post(url, json=comment_body("Same comment, sent twice by a flaky "
                                                        "network."), headers=headers)
    assert stranger.status == 202 and (await stranger.json())["id"] != first["id"]


async def test_reply_must_belong_to_the_thread(client, site):
    parent = await post_comment(client, site, thread="a")
    reply = await client.post(f"/v1/sites/{site}/threads/b/comments",
                              json=comment_body(parent_id=parent["id"]))
    assert reply.status == 422
    assert (await reply.json())["error"]["details"][0]["field"] == "parent_id"


async def test_edit_within_window_goes_through_rules_again(client, site):
    accepted = await post_comment(client, site)
    await wait_for(lambda: _is(client, site, accepted, "approved"))
    url = f"/v1/sites/{site}/comments/{accepted['id']}"
    headers = {"X-Edit-Token": accepted["edit_token"]}
    edited = await client.patch(url, json={"body": "x"}, headers=headers)
    assert edited.status == 202
    await wait_for(lambda: _is(client, site, accepted, "rejected"))  # too short now
    assert (await client.get(url)).status == 404


async def test_edit_needs_the_token_and_the_window(make_client, site, pool):
    client = await make_client()
    accepted = await post_comment(client, site)
    url = f"/v1/sites/{site}/comments/{accepted['id']}"
    assert (await client.patch(url, json={"body": "new text"})).status == 401
    assert (await client.patch(url, json={"body": "new text"},
                               headers={"X-Edit-Token": "forged"})).status == 403
    await pool.execute("UPDATE comments SET created_at = now() - interval '1 day' "
                       "WHERE site_id = $1", site)
    late = await client.patch(url, json={"body": "new text"},
                              headers={"X-Edit-Token": accepted["edit_token"]})
    assert late.status == 403
    assert (await late.json())["error"]["code"] == "edit_window_closed"


async def test_delete_hides_the_comment_and_updates_counts(client, site):
    accepted = await post_comment(client, site, thread="gone")
    await wait_for(lambda: _is(client, site, accepted, "approved"))
    counts = await (await client.get(f"/v1/sites/{site}/counts?thread=gone")).json()
    assert counts == {"counts": {"gone": 1}}
    url = f"/v1/sites/{site}/comments/{accepted['id']}"
    deleted = await client.delete(url, headers={"X-Edit-Token": accepted["edit_token"]})
    assert deleted.status == 200
    assert (await deleted.json())["status"] == "deleted"
    assert (await client.get(url)).status == 404
    again = await client.delete(url, headers={"X-Edit-Token": accepted["edit_token"]})
    assert again.status == 404
    counts = await (await client.get(f"/v1/sites/{site}/counts?thread=gone&thread=none")).json()
    assert counts == {"counts": {"gone": 0, "none": 0}}


async def test_ip_is_stored_only_as_a_hash(client, site, pool):
    await post_comment(client, site)
    row = await pool.fetchrow("SELECT ip_hash FROM comments WHERE site_id = $1", site)
    assert isinstance(row["ip_hash"], bytes) and len(row["ip_hash"]) == 16
    assert b"127.0.0.1" not in row["ip_hash"]


async def test_a_body_over_the_sites_maximum_is_refused_at_the_door(client, pool, site):
    """90 posts of 49 KB from one name once grew the process by 150 MB before the length rule
    rejected them; now nothing is stored, judged or cached."""
    response = await client.post(f"/v1/sites/{site}/threads/long/comments",
                                 json=comment_body("x" * 5001))
    assert response.status == 422
    error = (await response.json())["error"]
    assert error["code"] == "body_too_long"
    assert error["details"][0]["max_chars"] == 5000
    assert await pool.fetchval("SELECT count(*) FROM comments WHERE site_id = $1", site) == 0
    assert await pool.fetchval("SELECT count(*) FROM threads WHERE site_id = $1", site) == 0
    # Surrounding whitespace does not count, as for the length rule.
    await post_comment(client, site, text="  " + "y" * 5000 + "\n\n")


async def test_the_door_follows_the_sites_length_rule(client, pool, site):
    short = await post_comment(client, site, text="A short first comment.")
    raw = await pool.fetchval("SELECT settings FROM sites WHERE site_id = $1", site)
    await pool.execute("UPDATE sites SET settings = $2 WHERE site_id = $1",
                       site, {**raw, "rules": {"length": {"max_chars": 100}}})
    url = f"/v1/sites/{site}/threads/t/comments"
    assert (await client.post(url, json=comment_body("z" * 101))).status == 422
    edit = await client.patch(f"/v1/sites/{site}/comments/{short['id']}",
                              json={"body": "z" * 101},
                              headers={"X-Edit-Token": short["edit_token"]})
    assert edit.status == 422 and (await edit.json())["error"]["code"] == "body_too_long"
    await pool.execute("UPDATE sites SET settings = $2 WHERE site_id = $1",
                       site, {**raw, "rules": {"length": {"enabled": False}}})
    await post_comment(client, site, text="z" * 20_000)  # the site turned the rule off


async def test_a_name_or_title_with_a_line_break_is_refused(client, pool, site):
    """They end up in e-mail subjects and page titles: a line break there is never a name."""
    url = f"/v1/sites/{site}/threads/breaks/comments"
    for bad in ({"commenter": {"name": "Ann\r\nBcc: all@example.com"}},
                {"thread_title": "Budget\nvote"}):
        response = await client.post(url, json={**comment_body("A fine comment."), **bad})
        assert response.status == 422
        assert (await response.json())["error"]["code"] == "validation_failed"
    assert await pool.fetchval("SELECT count(*) FROM comments WHERE site_id = $1", site) == 0
