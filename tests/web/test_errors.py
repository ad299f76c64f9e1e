"""Every failure answers the JSON error envelope with the right status, and stores nothing."""

from __future__ import annotations

import pytest

from tests.factories import comment_body


def assert_envelope(payload: dict, code: str) -> None:
    assert set(payload) == {"error"}
    assert payload["error"]["code"] == code
    assert isinstance(payload["error"]["message"], str) and payload["error"]["message"]
    assert isinstance(payload["error"]["details"], list)


async def comment_count(pool, site) -> int:
    return await pool.fetchval("SELECT count(*) FROM comments WHERE site_id = $1", site)


async def test_invalid_json_is_400(client, site, pool):
    response = await client.post(f"/v1/sites/{site}/threads/t/comments", data=b'{"body": ',
                                 headers={"Content-Type": "application/json"})
    assert response.status == 400
    assert_envelope(await response.json(), "invalid_json")
    assert await comment_count(pool, site) == 0


async def test_invalid_utf8_is_400(client, site):
    response = await client.post(f"/v1/sites/{site}/threads/t/comments",
                                 data=b'{"body": "\xff\xfe", "commenter": {"name": "x"}}',
                                 headers={"Content-Type": "application/json"})
    assert response.status == 400
    assert_envelope(await response.json(), "invalid_utf8")


@pytest.mark.parametrize("payload, field", [
    ({"commenter": {"name": "x"}}, "body"),
    ({"body": "", "commenter": {"name": "x"}}, "body"),
    ({"body": "hi there", "commenter": {"name": ""}}, "commenter.name"),
    ({"body": "hi there", "commenter": {"name": "x", "email": "not-an-email"}}, "commenter.email"),
    ({"body": "hi there", "commenter": {"name": "x"}, "elapsed_ms": -1}, "elapsed_ms"),
    ({"body": "hi there", "commenter": {"name": "x"}, "parent_id": "abc"}, "parent_id"),
    ({"body": "hi there", "commenter": {"name": "x"}, "admin": True}, "admin"),
    ({"body": "hi there"}, "commenter"),
])
async def test_validation_errors_are_422_with_the_field(client, site, pool, payload, field):
    response = await client.post(f"/v1/sites/{site}/threads/t/comments", json=payload)
    assert response.status == 422
    body = await response.json()
    assert_envelope(body, "validation_failed")
    assert field in [d["field"] for d in body["error"]["details"]]
    assert await comment_count(pool, site) == 0


async def test_invalid_thread_key_is_422(client, site):
    response = await client.post(f"/v1/sites/{site}/threads/{'x' * 300}/comments",
                                 json=comment_body())
    assert response.status == 422


async def test_unknown_site_and_comment_are_404(client, site):
    response = await client.post("/v1/sites/no-such-site/threads/t/comments", json=comment_body())
    assert response.status == 404
    assert_envelope(await response.json(), "not_found")
    for comment_id in ("999999999", "abc", "0"):
        response = await client.get(f"/v1/sites/{site}/comments/{comment_id}")
        assert response.status == 404
        assert_envelope(await response.json(), "not_found")


async def test_unknown_route_is_404_json(client):
    response = await client.get("/nowhere")
    assert response.status == 404
    assert_envelope(await response.json(), "not_found")


async def test_wrong_method_is_405(client, site):
    response = await client.put(f"/v1/sites/{site}/threads/t/comments", json={})
    assert response.status == 405
    assert_envelope(await response.json(), "method_not_allowed")
    assert "POST" in response.headers["Allow"]


async def test_body_over_limit_is_413(make_client, site, pool):
    client = await make_client(max_body_bytes=2048)
    response = await client.post(f"/v1/sites/{site}/threads/t/comments",
                                 json=comment_body("x" * 5000))
    assert response.status == 413
    assert_envelope(await response.json(), "body_too_large")
    assert await comment_count(pool, site) == 0


async def test_wrong_content_type_is_415(client, site):
    response = await client.post(f"/v1/sites/{site}/threads/t/comments", data="body=hi",
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status == 415
    assert_envelope(await response.json(), "unsupported_media_type")


@pytest.mark.parametrize("query", ["cursor=forged", "cursor=YWJj.ZGVm", "limit=0", "limit=101",
                                   "sort=sideways"])
async def test_bad_listing_query(client, site, query):
    response = await client.get(f"/v1/sites/{site}/threads/t/comments?{query}")
    expected = 400 if query.startswith("cursor") else 422
    assert response.status == expected
    assert_envelope(await response.json(), "invalid_cursor" if expected == 400 else "validation_failed")


async def test_counts_need_one_to_hundred_threads(client, site):
    assert (await client.get(f"/v1/sites/{site}/counts")).status == 422
    many = "&".join(f"thread=t{i}" for i in range(101))
    assert (await client.get(f"/v1/sites/{site}/counts?{many}")).status == 422
