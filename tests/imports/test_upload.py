"""POST /v1/sites/{site}/imports: an admin uploads the same files the CLI imports."""

from __future__ import annotations

import gzip
import io

from moderation.sites import store as sites
from tests.imports.test_importers import FIXTURES, thread_counts
from tests.web.test_auth_and_cors import bearer


async def upload(client, site, token, body: bytes, **query):
    return await client.post(f"/v1/sites/{site}/imports", params=query, data=io.BytesIO(body),
                             headers={**bearer(token), "Content-Type": "application/octet-stream"})


async def test_an_admin_uploads_an_export_and_again_without_duplicates(make_client, site, pool):
    client = await make_client(workers=0)
    token = await sites.create_token(pool, site, "admin", "ada")
    packed = gzip.compress((FIXTURES / "disqus.xml").read_bytes())
    first = await upload(client, site, token, packed, source="disqus")
    assert first.status == 200, await first.text()
    summary = await first.json()
    assert (summary["imported"], summary["skipped"], summary["orphans"]) == (10, 2, 1)
    assert summary["skipped_by_reason"] == {"its thread is not in the file": 1, "no text": 1}
    again = await (await upload(client, site, token, packed, source="disqus")).json()
    assert (again["imported"], again["already_imported"]) == (0, 10)
    assert await thread_counts(pool, site) == {"nato-summit": 6, "budget-vote": 0, "Uber-uns": 1}
    page = await (await client.get(f"/v1/sites/{site}/threads/nato-summit/comments")).json()
    assert page["total"] == 6
    # 1001 threaded; the deleted post stands as "comment removed" above its approved reply; 1007
    assert [(len(item["replies"]), item.get("removed", False)) for item in page["items"]] == [
        (3, False), (1, True), (0, False)]


async def test_bad_uploads_are_refused_and_store_nothing(make_client, new_site, pool):
    client = await make_client(workers=0, import_max_bytes=1 << 20)
    site, other = await new_site(), await new_site()
    token = await sites.create_token(pool, site, "admin", "ada")
    moderator = await sites.create_token(pool, site, "moderator", "mo")
    xml = (FIXTURES / "disqus.xml").read_bytes()
    cases = [
        (await upload(client, site, token, xml, source="blogger"), 422, "validation_failed"),
        (await upload(client, site, token, b"", source="disqus"), 422, "empty_file"),
        (await upload(client, site, token, xml, source="isso"), 422, "unreadable_file"),
        (await upload(client, site, token, xml, source="native"), 422, "unreadable_file"),
        (await upload(client, site, token, xml, source="native", moderate="true"), 422,
         "validation_failed"),
        (await upload(client, site, token, b"x" * ((1 << 20) + 1), source="remark42"), 413,
         "body_too_large"),
        (await upload(client, site, moderator, xml, source="disqus"), 403, "forbidden"),
    ]
    for response, status, code in cases:
        assert response.status == status, await response.text()
        assert (await response.json())["error"]["code"] == code
    assert await pool.fetchval("SELECT count(*) FROM comments WHERE site_id = $1", site) == 0

    theirs = await sites.create_token(pool, other, "admin", "ada")
    assert (await upload(client, site, theirs, xml, source="disqus")).status == 404
    assert await pool.fetchval("SELECT count(*) FROM comments WHERE site_id = $1", site) == 0
