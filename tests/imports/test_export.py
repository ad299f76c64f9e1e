"""`moderation export` and `moderation import native`: a site's history, decisions and settings
read back into an empty site, identical; and the import commands as an operator runs them."""

from __future__ import annotations

from pathlib import Path

import orjson

from moderation.sites import store as sites
from tests.factories import decide, drain, post_comment
from tests.imports.test_importers import FIXTURES, thread_counts
from tests.test_cli import run_cli
from tests.web.test_auth_and_cors import bearer


async def busy_site(api, pool, database_url, site) -> None:
    """A site with imported history, comments decided by the rules and by a moderator, replies,
    a deleted comment, ratings, a ban, changed settings and a word list."""
    code, out, err = await run_cli(database_url, "import", "disqus",
                                   str(FIXTURES / "disqus.xml"), "--site", site)
    assert code == 0, err
    token = await sites.create_token(pool, site, "admin", "ada")
    first = await post_comment(api, site, thread="nato-summit", text="Dialogue is the right call.")
    await post_comment(api, site, thread="nato-summit", text="A reply to that.",
                       parent_id=first["id"])
    held = await post_comment(api, site, thread="budget-vote", text="Another view on the budget.")
    gone = await post_comment(api, site, thread="budget-vote", text="I will delete this one.")
    for score in (5, 4):
        assert (await api.post(f"/v1/sites/{site}/authors/killian-jones/ratings",
                               json={"score": score, "rater": {"fingerprint": f"f{score}x" * 4}})
                ).status == 202
    await drain(pool)
    assert (await decide(api, site, held["id"], "reject", token, reason="off topic")).status == 200
    assert (await api.delete(f"/v1/sites/{site}/comments/{gone['id']}",
                             headers={"X-Edit-Token": gone["edit_token"]})).status in (200, 204)
    assert (await api.put(f"/v1/sites/{site}/wordlists/banned", json={"words": ["pills"]},
                          headers=bearer(token))).status == 200
    assert (await api.put(f"/v1/sites/{site}/settings", json={"report_threshold": 2},
                            headers=bearer(token))).status == 200
    commenter = await pool.fetchval("SELECT commenter FROM comments WHERE site_id = $1 AND "
                                    "comment_id = $2", site, int(first["id"]))
    assert (await api.post(f"/v1/sites/{site}/commenters/{commenter}/ban",
                           json={"reason": "testing"}, headers=bearer(token))).status == 200


def records(lines: list[bytes]) -> list[dict]:
    return [orjson.loads(line) for line in lines]


async def export(database_url, site, tmp_path: Path, *extra: str) -> list[bytes]:
    path = tmp_path / f"{site}.jsonl"
    code, _, err = await run_cli(database_url, "export", "--site", site, "-o", str(path), *extra)
    assert code == 0, err
    return path.read_bytes().splitlines()


async def test_export_then_import_native_gives_an_identical_site(
        make_client, new_site, pool, database_url, tmp_path):
    api = await make_client(workers=0)
    site, copy = await new_site(), await new_site()
    await busy_site(api, pool, database_url, site)
    exported = await export(database_url, site, tmp_path)
    header, *body = records(exported)
    assert (header["type"], header["site"], header["format"], header["version"]) == (
        "site", site, "moderation", 1)
    assert {r["type"] for r in body} == {"settings", "wordlist", "thread", "commenter", "comment",
                                         "rating", "decision"}

    for _ in range(2):  # the second run finds everything there
        code, out, err = await run_cli(database_url, "import", "native",
                                       str(tmp_path / f"{site}.jsonl"), "--site", copy)
        assert code == 0, err
    assert "imported 0" in out and "skipped 0" in out

    copied = await export(database_url, copy, tmp_path)
    assert copied[1:] == exported[1:]  # everything but the header (site name, time)
    assert await thread_counts(pool, copy) == await thread_counts(pool, site)
    ratings = "SELECT author, count, sum, h1, h2, h3, h4, h5 FROM author_ratings WHERE site_id = $1"
    assert [dict(r) for r in await pool.fetch(ratings, copy)] == [
        dict(r) for r in await pool.fetch(ratings, site)]
    page = await api.get(f"/v1/sites/{copy}/threads/nato-summit/comments")
    original = await api.get(f"/v1/sites/{site}/threads/nato-summit/comments")
    assert (await page.json())["items"] == (await original.json())["items"]
    # New comments on the copy get ids of their own.
    await post_comment(api, copy, thread="nato-summit")


async def test_export_since_a_date_keeps_only_what_changed_since(
        make_client, site, pool, database_url, tmp_path):
    code, _, err = await run_cli(database_url, "import", "disqus", str(FIXTURES / "disqus.xml"),
                                 "--site", site)
    assert code == 0, err
    lines = records(await export(database_url, site, tmp_path, "--since", "2024-05-02"))
    comments = [r for r in lines if r["type"] == "comment"]
    assert {c["created_at"][:10] for c in comments} == {"2024-05-02", "2024-05-03"}
    assert len([r for r in lines if r["type"] == "thread"]) == 3
    code, _, err = await run_cli(database_url, "export", "--site", site, "--since", "yesterday")
    assert code == 2 and "not a date" in err


async def test_import_commands_report_and_refuse_clearly(site, database_url, tmp_path):
    code, out, err = await run_cli(database_url, "import", "wordpress",
                                   str(FIXTURES / "wordpress.xml"), "--site", site)
    assert code == 0, err
    assert "imported 10" in out and "skipped 1: a pingback or trackback, not a comment" in out
    assert "comment 18: a pingback or trackback" in out

    code, _, err = await run_cli(database_url, "import", "disqus", str(tmp_path / "missing.xml"),
                                 "--site", site)
    assert code == 2 and "no file" in err
    code, _, err = await run_cli(database_url, "import", "disqus", str(FIXTURES / "disqus.xml"),
                                 "--site", "no-such-site")
    assert code == 1 and "no site" in err
    code, _, err = await run_cli(database_url, "import", "isso", str(FIXTURES / "disqus.xml"),
                                 "--site", site)
    assert code == 1 and "not an Isso database" in err
    code, _, err = await run_cli(database_url, "import", "native", str(FIXTURES / "disqus.xml"),
                                 "--site", site)
    assert code == 1 and "not a `moderation export` file" in err
