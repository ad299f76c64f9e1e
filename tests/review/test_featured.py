"""Featured comments: moderators feature and unfeature; the first page lists them first."""

from __future__ import annotations

from moderation.sites import store as sites
from tests.factories import drain, post_comment, site_settings


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def setup(make_client, pool, site):
    await sites.save_settings(pool, site, site_settings(
        rules={"flood": {"enabled": False}, "duplicate": {"enabled": False}}))
    return await make_client(workers=0), await sites.create_token(pool, site, "moderator", "mona")


async def feature(client, site, token, comment_id: str, on: bool = True, status: int = 200):
    method = client.post if on else client.delete
    response = await method(f"/v1/sites/{site}/queue/comment/{comment_id}/feature",
                            headers=bearer(token))
    assert response.status == status, await response.text()
    return await response.json()


async def test_featured_comments_come_first_on_the_first_page(make_client, pool, site):
    client, token = await setup(make_client, pool, site)
    ids = [(await post_comment(client, site, thread="picks", text=f"Comment number {n}."))["id"]
           for n in range(4)]
    reply = await post_comment(client, site, thread="picks", text="A reply worth a pick.",
                               parent_id=ids[0])
    await drain(pool)
    assert await feature(client, site, token, ids[2]) == {"id": ids[2], "featured": True}
    await feature(client, site, token, reply["id"])
    await feature(client, site, token, ids[2])  # twice is harmless
    url = f"/v1/sites/{site}/threads/picks/comments?limit=2"
    first = await (await client.get(url)).json()
    assert [c["id"] for c in first["featured"]] == [reply["id"], ids[2]]  # newest pick first
    assert all(c["featured"] for c in first["featured"])
    assert [i["id"] for i in first["items"]] == ids[:2]
    assert first["items"][0]["replies"][0]["featured"] is True
    second = await (await client.get(url + f"&cursor={first['next_cursor']}")).json()
    assert second["featured"] == []
    assert [(i["id"], i["featured"]) for i in second["items"]] == [(ids[2], True), (ids[3], False)]
    assert await feature(client, site, token, ids[2], on=False) == {"id": ids[2], "featured": False}
    again = await (await client.get(url)).json()
    assert [c["id"] for c in again["featured"]] == [reply["id"]]
    audit = await pool.fetch("SELECT action, actor FROM audit WHERE site_id = $1 AND action LIKE "
                             "'%feature' ORDER BY audit_id", site)
    assert [(a["action"], a["actor"]) for a in audit] == [
        ("feature", "moderator:mona"), ("feature", "moderator:mona"), ("unfeature", "moderator:mona")]


async def test_only_published_comments_of_this_site_can_be_featured(make_client, pool, site, new_site):
    client, token = await setup(make_client, pool, site)
    other = await new_site()
    others_token = await sites.create_token(pool, other, "moderator", "otto")
    pending = await post_comment(client, site, text="Not decided yet.")
    refused = await feature(client, site, token, pending["id"], status=409)
    assert refused["error"]["code"] == "not_published"
    await feature(client, site, token, "999999999", status=404)
    await drain(pool)
    # Another site's moderator learns nothing about this site's comments.
    await feature(client, site, others_token, pending["id"], status=404)
    await feature(client, site, others_token, pending["id"], on=False, status=404)
    await feature(client, other, others_token, pending["id"], status=404)
    unauthorized = await client.post(f"/v1/sites/{site}/queue/comment/{pending['id']}/feature")
    assert unauthorized.status == 401
    deleted = await client.delete(f"/v1/sites/{site}/comments/{pending['id']}",
                                  headers={"X-Edit-Token": pending["edit_token"]})
    assert deleted.status == 200
    await feature(client, site, token, pending["id"], status=404)
    assert await pool.fetchval("SELECT count(*) FROM comments WHERE site_id = $1 "
                               "AND featured_at IS NOT NULL", site) == 0
