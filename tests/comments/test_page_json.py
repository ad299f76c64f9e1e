"""A thread page's comments are written as JSON by PostgreSQL (moderation.comments.store.
PAGE_TEMPLATE); they must read exactly as the API writes a comment everywhere else (orjson)."""

from __future__ import annotations

import orjson

from moderation.sites import store as sites
from tests.factories import drain, make_token, post_comment, site_settings

# Everything JSON escapes or leaves as it is: quotes, backslashes, every control character,
# DEL, accents, right-to-left text, an emoji outside the BMP, the line separators JavaScript minds.
AWKWARD = ('She said "no" \\ then \n left\t\r\b\f ' + "".join(map(chr, range(1, 32)))
           + "\x7f café مرحبا 😀 \u2028\u2029 </script>")
NAME = 'Zoë "Z" \\ Ng'


async def test_the_page_is_the_json_the_api_writes_everywhere(make_client, pool, site):
    await sites.save_settings(pool, site, site_settings(
        rules={"flood": {"enabled": False}, "duplicate": {"enabled": False}}))
    client = await make_client(workers=0)
    thread = "json"
    top = await post_comment(client, site, thread=thread, text="Awkward text, set below.")
    reply = await post_comment(client, site, thread=thread, text="A reply, edited later.",
                               parent_id=top["id"])
    whole_second = await post_comment(client, site, thread=thread, text="Posted on the second.")
    trailing_zero = await post_comment(client, site, thread=thread, text="Posted at .120000.")
    removed = await post_comment(client, site, thread=thread, text="Rejected later.")
    kept = await post_comment(client, site, thread=thread, text="A reply that stays.",
                              parent_id=removed["id"])
    await drain(pool)
    ids = {name: int(c["id"]) for name, c in (("top", top), ("reply", reply),
                                               ("whole", whole_second), ("zero", trailing_zero),
                                               ("removed", removed), ("kept", kept))}
    # What readers, writers and moderators do to comments, set directly: awkward text, an edit,
    # votes, a verified name, times with no and with trailing-zero microseconds, a removal.
    await pool.execute("""
        UPDATE comments SET
            body = CASE comment_id WHEN $3 THEN $7 ELSE body END,
            author_name = CASE comment_id WHEN $3 THEN $8 ELSE author_name END,
            edited_at = CASE comment_id WHEN $2 THEN created_at + interval '61.5 seconds' END,
            votes_up = comment_id % 7, votes_down = comment_id % 3,
            verified = comment_id = $3,
            created_at = CASE comment_id WHEN $4 THEN date_trunc('second', created_at)
                                         WHEN $5 THEN date_trunc('second', created_at)
                                                      + interval '0.12 seconds'
                                         ELSE created_at END,
            status = CASE comment_id WHEN $6 THEN 'rejected' ELSE 'approved' END,
            featured_at = CASE comment_id WHEN $2 THEN now() END
         WHERE site_id = $1""",
        site, ids["reply"], ids["top"], ids["whole"], ids["zero"], ids["removed"], AWKWARD,
        NAME)
    token = await make_token(pool, site, "moderator")
    assert (await client.post(f"/v1/sites/{site}/queue/comment/{kept['id']}/feature",
                              headers={"Authorization": f"Bearer {token}"})).status == 200

    for sort in ("oldest", "newest", "best"):
        response = await client.get(f"/v1/sites/{site}/threads/{thread}/comments?sort={sort}")
        assert response.status == 200
        raw = await response.read()
        page = orjson.loads(raw)
        # The bytes orjson writes for this content: no other spacing, escaping or time format.
        assert orjson.dumps(page) == raw
        listed = [*page["featured"], *page["items"],
                  *(reply for item in page["items"] for reply in item["replies"])]
        assert len(listed) == 8
        for comment in listed:
            if comment["removed"]:
                assert comment["id"] == removed["id"]
                assert (comment["author"], comment["body"], comment["edited_at"],
                        comment["featured"]) == ({"name": "", "verified": False}, "", None, False)
                continue
            own = await client.get(f"/v1/sites/{site}/comments/{comment['id']}")
            expected = await own.json()
            expected.pop("status")
            shown = {k: v for k, v in comment.items()
                     if k not in ("replies", "reply_count", "replies_cursor")}
            assert shown == expected
    by_id = {c["id"]: c for c in listed}
    assert by_id[top["id"]]["body"] == AWKWARD
    assert by_id[top["id"]]["author"] == {"name": NAME, "verified": True}
    assert "." not in by_id[whole_second["id"]]["created_at"]
    assert by_id[trailing_zero["id"]]["created_at"].endswith(".120000+00:00")
    assert by_id[reply["id"]]["edited_at"] is not None and by_id[reply["id"]]["featured"]
