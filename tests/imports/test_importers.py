"""Each importer round-trips its fixture (tests/imports/fixtures, written for the project with the
awkward cases of issue 16) into the right threads, counts and states, and again without
duplicates."""

from __future__ import annotations

import asyncio
import gzip
import io
import json
import sqlite3
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

import pytest

from moderation.imports import runner
from moderation.imports.isso import NotIssoDatabase
from moderation.imports.records import Comment
from moderation.imports.runner import READERS, Progress, run_import
from tests.factories import drain

FIXTURES = Path(__file__).parent / "fixtures"


async def imported(pool, site, source, path, **options):
    return await run_import(pool, site, source, path, progress=Progress(io.StringIO()), **options)


async def comments_by_source_id(pool, site) -> dict[str, dict]:
    rows = await pool.fetch("""
        SELECT i.source_id, c.thread, c.status, c.body, c.author_name, c.commenter, c.created_at,
               p.source_id AS parent, r.source_id AS root
          FROM imported_comments i
          JOIN comments c ON c.site_id = i.site_id AND c.comment_id = i.comment_id
          LEFT JOIN imported_comments p ON p.site_id = c.site_id AND p.comment_id = c.parent_id
          LEFT JOIN imported_comments r ON r.site_id = c.site_id AND r.comment_id = c.root_id
         WHERE i.site_id = $1""", site)
    return {row["source_id"]: dict(row) for row in rows}


async def thread_counts(pool, site) -> dict[str, int]:
    """Each thread's approved count, checked against its comments (the page's total)."""
    rows = await pool.fetch("""
        SELECT t.thread, t.approved_count,
               (SELECT count(*) FROM comments c WHERE c.site_id = t.site_id
                   AND c.thread = t.thread AND c.status = 'approved') AS counted
          FROM threads t WHERE t.site_id = $1""", site)
    assert all(row["approved_count"] == row["counted"] for row in rows)
    return {row["thread"]: row["approved_count"] for row in rows}


async def history(pool, site, commenter) -> int:
    return await pool.fetchval("SELECT count(*) FROM comments WHERE site_id = $1 AND commenter = $2",
                               site, commenter)


def tree(comments: dict[str, dict]) -> dict[str, tuple]:
    return {sid: (c["thread"], c["status"], c["parent"], c["root"]) for sid, c in comments.items()}


async def test_disqus_export_round_trips_twice_without_duplicates(pool, site):
    summary = await imported(pool, site, "disqus", FIXTURES / "disqus.xml")
    assert (summary.read, summary.imported, summary.threads, summary.orphans) == (12, 10, 3, 1)
    assert summary.skipped == {"its thread is not in the file": 1, "no text": 1}
    assert {"where": "post 1011", "reason": "its thread is not in the file"} in summary.examples

    comments = await comments_by_source_id(pool, site)
    assert tree(comments) == {
        "1001": ("nato-summit", "approved", None, None),
        "1002": ("nato-summit", "approved", "1001", "1001"),
        "1003": ("nato-summit", "approved", "1002", "1001"),
        "1004": ("nato-summit", "approved", "1003", "1001"),  # before its parent in the file
        "1005": ("nato-summit", "deleted", None, None),
        "1006": ("nato-summit", "approved", "1005", "1005"),  # under a deleted comment
        "1007": ("nato-summit", "approved", None, None),  # orphan
        "1008": ("nato-summit", "rejected", None, None),  # spam
        "1009": ("budget-vote", "held", None, None),  # empty <id>: from the link
        "1010": ("Uber-uns", "approved", None, None),
    }
    assert comments["1001"]["body"] == (
        "First & foremost: a fine article.\n\nSee the report (https://example.org/report).")
    assert comments["1002"]["body"] == "I disagree… strongly."
    assert comments["1002"]["author_name"] == "山田太郎"
    assert comments["1004"]["body"] == "Third level.\nTwo lines."
    assert comments["1005"]["body"] == ""
    assert comments["1010"]["body"] == "Plain text, no paragraph <tags>."
    assert comments["1010"]["created_at"] == datetime(2024, 5, 3, 10, tzinfo=UTC)  # its thread's
    assert comments["1001"]["author_name"] == "Zoë Ångström"
    assert await history(pool, site, comments["1001"]["commenter"]) == 4
    assert await history(pool, site, comments["1003"]["commenter"]) == 3
    assert await thread_counts(pool, site) == {"nato-summit": 6, "budget-vote": 0, "Uber-uns": 1}
    thread = await pool.fetchrow("SELECT url, title, created_at FROM threads WHERE site_id = $1 "
                                 "AND thread = 'nato-summit'", site)
    assert (thread["url"], thread["title"]) == ("https://news.example/world/nato-summit",
                                                "Relations with Russia & the West")
    assert thread["created_at"] == datetime(2024, 5, 1, 8, tzinfo=UTC)

    again = await imported(pool, site, "disqus", FIXTURES / "disqus.xml")
    assert (again.imported, again.already, sum(again.skipped.values())) == (0, 10, 2)
    assert await comments_by_source_id(pool, site) == comments
    assert await thread_counts(pool, site) == {"nato-summit": 6, "budget-vote": 0, "Uber-uns": 1}


async def test_small_batches_thread_replies_across_batches_the_same(pool, new_site):
    whole, batched = await new_site(), await new_site()
    await imported(pool, whole, "disqus", FIXTURES / "disqus.xml")
    summary = await imported(pool, batched, "disqus", FIXTURES / "disqus.xml", batch_size=2)
    assert (summary.imported, summary.orphans) == (10, 1)
    assert tree(await comments_by_source_id(pool, batched)) == tree(
        await comments_by_source_id(pool, whole))
    assert await thread_counts(pool, batched) == await thread_counts(pool, whole)


async def test_two_imports_of_one_file_at_once_store_each_comment_once(pool, new_site):
    whole, twice = await new_site(), await new_site()
    await imported(pool, whole, "disqus", FIXTURES / "disqus.xml")
    first, second = await asyncio.gather(
        imported(pool, twice, "disqus", FIXTURES / "disqus.xml", batch_size=2),
        imported(pool, twice, "disqus", FIXTURES / "disqus.xml", batch_size=2))
    assert first.imported + second.imported == 10
    assert tree(await comments_by_source_id(pool, twice)) == tree(
        await comments_by_source_id(pool, whole))
    assert await thread_counts(pool, twice) == await thread_counts(pool, whole)


async def test_batches_cut_by_their_text_thread_and_count_the_same(pool, new_site, monkeypatch):
    whole, cut = await new_site(), await new_site()
    await imported(pool, whole, "disqus", FIXTURES / "disqus.xml")
    monkeypatch.setattr(runner, "BATCH_TEXT", 40)  # five batches of one to three comments
    summary = await imported(pool, cut, "disqus", FIXTURES / "disqus.xml")
    assert (summary.imported, summary.orphans) == (10, 1)
    assert tree(await comments_by_source_id(pool, cut)) == tree(
        await comments_by_source_id(pool, whole))
    assert await thread_counts(pool, cut) == await thread_counts(pool, whole)


async def test_a_gzipped_disqus_export_is_read_the_same(pool, site, tmp_path):
    packed = tmp_path / "export.xml.gz"
    packed.write_bytes(gzip.compress((FIXTURES / "disqus.xml").read_bytes()))
    summary = await imported(pool, site, "disqus", packed)
    assert (summary.imported, summary.orphans) == (10, 1)
    assert await thread_counts(pool, site) == {"nato-summit": 6, "budget-vote": 0, "Uber-uns": 1}


@pytest.mark.parametrize("version", ["1.0", "1.1", "1.2"])
async def test_wordpress_export_of_any_version_round_trips(pool, new_site, tmp_path, version):
    site = await new_site()
    path = tmp_path / "wordpress.xml"
    path.write_text((FIXTURES / "wordpress.xml").read_text().replace("export/1.1/",
                                                                     f"export/{version}/"))
    summary = await imported(pool, site, "wordpress", path)
    assert (summary.read, summary.imported, summary.threads, summary.orphans) == (13, 10, 2, 1)
    assert summary.skipped == {"a pingback or trackback, not a comment": 1, "no comment_id": 1,
                               "unknown comment_approved 'maybe'": 1}
    comments = await comments_by_source_id(pool, site)
    assert tree(comments) == {
        "11": ("nato-summit", "approved", None, None),
        "12": ("nato-summit", "approved", "11", "11"),
        "13": ("nato-summit", "approved", "12", "11"),
        "14": ("nato-summit", "deleted", None, None),
        "15": ("nato-summit", "approved", "14", "14"),
        "16": ("nato-summit", "rejected", None, None),
        "17": ("nato-summit", "held", None, None),
        "19": ("nato-summit", "approved", None, None),
        "20": ("nato-summit", "approved", None, None),
        "31": ("p-42", "approved", None, None),
    }  # the pingback (18) and the bad records are not there
    assert comments["11"]["body"] == ("Tom & Jerry’s view.\nSecond line with a link "
                                      "(https://example.org/x).\n\nA new paragraph.")
    assert comments["11"]["author_name"] == "Jürgen Müller"
    assert comments["11"]["commenter"] == comments["13"]["commenter"]  # the email, any case
    assert comments["31"]["body"] == "Bold claim <here>."
    assert comments["20"]["created_at"] == datetime(2024, 5, 1, 8, tzinfo=UTC)  # the post's date
    assert await thread_counts(pool, site) == {"nato-summit": 6, "p-42": 1}
    assert await history(pool, site, comments["12"]["commenter"]) == 5

    again = await imported(pool, site, "wordpress", path)
    assert (again.imported, again.already) == (0, 10)
    assert await thread_counts(pool, site) == {"nato-summit": 6, "p-42": 1}


def isso_database(path: Path) -> Path:
    with sqlite3.connect(path) as db:
        db.executescript((FIXTURES / "isso.sql").read_text())
    return path


async def test_isso_database_round_trips(pool, site, tmp_path):
    path = isso_database(tmp_path / "comments.db")
    summary = await imported(pool, site, "isso", path)
    assert (summary.imported, summary.threads, summary.orphans) == (8, 2, 1)
    assert summary.skipped == {"no key can be taken from its uri '/'": 1,
                               "its thread is not in the database": 1, "unknown mode 3": 1}
    comments = await comments_by_source_id(pool, site)
    assert tree(comments) == {
        "1": ("nato-summit", "approved", None, None),
        "2": ("nato-summit", "approved", "1", "1"),
        "3": ("nato-summit", "approved", "2", "1"),
        "4": ("nato-summit", "deleted", None, None),
        "5": ("nato-summit", "approved", "4", "4"),
        "6": ("nato-summit", "held", None, None),
        "7": ("nato-summit", "approved", None, None),
        "10": ("uber-uns", "approved", None, None),
    }
    assert comments["1"]["body"] == "First! *Markdown* stays as written."
    assert comments["2"]["author_name"] == "Anonymous"
    assert comments["10"]["body"] == "Fish & chips <3"
    assert comments["10"]["author_name"] == "Ærøskøbing Ünal"
    assert comments["1"]["created_at"] == datetime(2024, 5, 1, 9, tzinfo=UTC)
    assert await thread_counts(pool, site) == {"nato-summit": 5, "uber-uns": 1}
    assert await history(pool, site, comments["1"]["commenter"]) == 2

    again = await imported(pool, site, "isso", path)
    assert (again.imported, again.already) == (0, 8)


async def test_a_file_that_is_not_an_isso_database_is_refused(pool, site):
    with pytest.raises(NotIssoDatabase):
        await imported(pool, site, "isso", FIXTURES / "disqus.xml")
    assert await pool.fetchval("SELECT count(*) FROM comments WHERE site_id = $1", site) == 0


async def test_remark42_backup_round_trips_and_finishes_after_stopping_half_way(
        pool, site, tmp_path):
    lines = (FIXTURES / "remark42.jsonl").read_text().splitlines(keepends=True)
    half = tmp_path / "half.jsonl"
    half.write_text("".join(lines[:3]))  # metadata, c-1, c-3 (a reply to c-2, not yet there)
    first = await imported(pool, site, "remark42", half)
    assert (first.imported, first.orphans) == (2, 1)

    backup = tmp_path / "backup.gz"  # as Remark42 writes them
    backup.write_bytes(gzip.compress("".join(lines).encode()))
    summary = await imported(pool, site, "remark42", backup)
    assert (summary.imported, summary.already, summary.orphans) == (5, 2, 1)
    assert summary.skipped == {"not JSON": 1, "no page URL to take the thread key from": 1,
                               "no date": 1}
    assert {"where": "line 8", "reason": "not JSON"} in summary.examples
    comments = await comments_by_source_id(pool, site)
    assert tree(comments) == {
        "c-1": ("nato-summit", "approved", None, None),
        "c-2": ("nato-summit", "approved", "c-1", "c-1"),
        "c-3": ("nato-summit", "approved", "c-2", "c-1"),
        "c-4": ("nato-summit", "deleted", None, None),
        "c-5": ("nato-summit", "approved", "c-4", "c-4"),
        "c-6": ("nato-summit", "approved", None, None),
        "c-9": ("budget-vote", "approved", None, None),
    }
    assert comments["c-1"]["body"] == "First & foremost.\n\nSee this (https://example.org/r)."
    assert comments["c-3"]["created_at"] == datetime(2024, 5, 1, 9, 20, tzinfo=UTC)
    assert comments["c-9"]["body"] == "Budget <3"
    assert await thread_counts(pool, site) == {"nato-summit": 5, "budget-vote": 1}
    title = await pool.fetchval("SELECT title FROM threads WHERE site_id = $1 AND thread = $2",
                                site, "nato-summit")
    assert title == "Relations with Russia"


async def test_an_imported_reply_to_a_subscribed_comment_emails_the_subscriber(
        pool, site, tmp_path):
    lines = (FIXTURES / "remark42.jsonl").read_text().splitlines(keepends=True)
    first = tmp_path / "first.jsonl"
    first.write_text("".join(lines[:2]))  # metadata, c-1
    await imported(pool, site, "remark42", first)
    subscribed = await pool.fetchval("SELECT comment_id FROM imported_comments WHERE site_id = $1 "
                                     "AND source_id = 'c-1'", site)
    await pool.execute("INSERT INTO email_addresses (site_id, email, status) "
                       "VALUES ($1, 'ada@example.com', 'confirmed')", site)
    await pool.execute("INSERT INTO reply_subscriptions (site_id, comment_id, email) "
                       "VALUES ($1, $2, 'ada@example.com')", site, subscribed)

    await imported(pool, site, "remark42", FIXTURES / "remark42.jsonl")
    emails = await pool.fetch("""
        SELECT o.recipient, i.source_id FROM outbox o
          JOIN imported_comments i ON i.site_id = o.site_id AND i.comment_id = o.comment_id
          JOIN jobs j ON j.site_id = o.site_id AND j.kind = 'email' AND j.item_id = o.outbox_id
         WHERE o.site_id = $1 AND o.kind = 'reply'""", site)
    # c-2 answers c-1; c-3 answers c-2 (no subscriber), by c-1's own author besides.
    assert [(e["recipient"], e["source_id"]) for e in emails] == [("ada@example.com", "c-2")]


async def test_moderate_sends_imported_comments_through_the_rules(pool, site):
    summary = await imported(pool, site, "disqus", FIXTURES / "disqus.xml", moderate=True)
    assert summary.imported == 10
    statuses = {sid: c["status"] for sid, c in (await comments_by_source_id(pool, site)).items()}
    assert statuses["1005"] == "deleted" and statuses["1008"] == "rejected"
    assert sorted(s for s in statuses.values() if s == "pending") == ["pending"] * 8
    assert await thread_counts(pool, site) == {"nato-summit": 0, "budget-vote": 0, "Uber-uns": 0}
    await drain(pool)
    decided = {sid: c["status"] for sid, c in (await comments_by_source_id(pool, site)).items()}
    assert "pending" not in decided.values()
    counts = await thread_counts(pool, site)
    assert counts["nato-summit"] == sum(1 for sid, s in decided.items()
                                        if s == "approved" and sid != "1009" and sid != "1010")


async def test_imported_history_raises_no_webhook_events(pool, site):
    await pool.execute("INSERT INTO webhooks (site_id, url, events, secret) VALUES "
                       "($1, 'https://hooks.example/in', '{comment.created,comment.approved}', 's')",
                       site)
    try:
        await imported(pool, site, "disqus", FIXTURES / "disqus.xml")
        assert await pool.fetchval("SELECT count(*) FROM webhook_deliveries WHERE site_id = $1",
                                   site) == 0
    finally:
        await pool.execute("DELETE FROM webhooks WHERE site_id = $1", site)


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


async def test_a_terminal_shows_progress_with_the_rate(pool, site):
    terminal = Terminal()
    await run_import(pool, site, "disqus", FIXTURES / "disqus.xml", progress=Progress(terminal))
    shown = terminal.getvalue()
    assert shown.startswith("\r") and "12 records" in shown and "/s" in shown
    assert "imported 10" in shown and shown.endswith("\n")


@pytest.mark.parametrize("source", ["disqus", "wordpress", "remark42"])
def test_reading_an_export_holds_one_record_at_a_time_not_the_file(tmp_path, source):
    """Streaming: memory while reading 20,000 comments (by 100 commenters) stays far below the
    file's size."""
    path = tmp_path / f"big.{source}"
    write_big_export(path, source, comments=20_000)
    tracemalloc.start()
    try:
        read = sum(1 for record in READERS[source](path) if isinstance(record, Comment))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert read == 20_000
    assert peak < path.stat().st_size / 20, (peak, path.stat().st_size)


def write_big_export(path: Path, source: str, comments: int) -> None:
    """One thread (WordPress: one item) holding every comment would be the worst case for
    WordPress, whose unit is an item; an export has many items, as here."""
    body = "<p>" + "A comment long enough to weigh something in memory. " * 6 + "</p>"
    with open(path, "w", encoding="utf-8") as out:
        if source == "disqus":
            out.write('<disqus xmlns:dsq="http://disqus.com/disqus-internals">'
                      '<thread dsq:id="1"><id>a</id><createdAt>2024-01-01T00:00:00Z</createdAt>'
                      '</thread>\n')
            for n in range(comments):
                out.write(f'<post dsq:id="{n}"><message><![CDATA[{body}]]></message>'
                          f'<createdAt>2024-01-01T00:00:00Z</createdAt>'
                          f'<author><name>R{n % 100}</name></author><thread dsq:id="1"/></post>\n')
            out.write("</disqus>\n")
        elif source == "wordpress":
            out.write('<rss xmlns:wp="http://wordpress.org/export/1.2/"><channel>\n')
            for item in range(comments // 10):
                out.write(f"<item><link>https://x.example/p{item}</link>"
                          f"<wp:post_name>p{item}</wp:post_name>")
                for n in range(item * 10, item * 10 + 10):
                    out.write(f"<wp:comment><wp:comment_id>{n}</wp:comment_id><wp:comment_author>"
                              f"R{n % 100}</wp:comment_author><wp:comment_date_gmt>"
                              f"2024-01-01 00:00:00</wp:comment_date_gmt>"
                              f"<wp:comment_content><![CDATA[{body}]]>"
                              f"</wp:comment_content><wp:comment_approved>1"
                              f"</wp:comment_approved></wp:comment>")
                out.write("</item>\n")
            out.write("</channel></rss>\n")
        else:
            out.write('{"version":1,"users":[],"posts":[]}\n')
            for n in range(comments):
                out.write(json.dumps({"id": f"c{n}", "pid": "", "text": body,
                                      "user": {"name": f"R{n % 100}", "id": f"u{n % 100}"},
                                      "locator": {"url": "https://x.example/a"},
                                      "time": "2024-01-01T00:00:00Z"}) + "\n")


def test_an_isso_file_whose_tables_are_views_is_refused_before_any_query(tmp_path):
    path = tmp_path / "hostile.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE VIEW threads AS SELECT 1 AS id, '/a' AS uri, 'A' AS title")
        db.execute("""CREATE VIEW comments AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL
                      SELECT i + 1 FROM n) SELECT i AS id, 1 AS tid, NULL AS parent,
                      0.0 AS created, 1 AS mode, 'x' AS text, 'a' AS author, NULL AS email
                      FROM n""")
    with pytest.raises(NotIssoDatabase, match="tables"):
        list(READERS["isso"](path))


def test_a_gzip_bomb_is_refused_once_it_unpacks_past_its_share(tmp_path, monkeypatch):
    from moderation.imports import records
    monkeypatch.setattr(records, "MIN_UNPACK_LIMIT", 1 << 20)
    path = tmp_path / "bomb.jsonl.gz"
    path.write_bytes(gzip.compress(b"{" + b" " * (8 << 20) + b"}\n"))
    with pytest.raises(records.TooLargeUnpacked, match="refused"):
        list(READERS["remark42"](path))


def test_a_line_too_long_for_a_comment_is_skipped_without_holding_it(tmp_path, monkeypatch):
    from moderation.imports import records
    monkeypatch.setattr(records, "MAX_LINE_BYTES", 1024)
    path = tmp_path / "backup.jsonl"
    path.write_bytes(b"x" * 5000 + b"\n" + b"\n")
    with path.open("rb") as stream:
        assert list(records.lines(stream)) == [(1, b"{too long}")]
