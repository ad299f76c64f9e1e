"""Isso SQLite databases: `threads` (uri, title) and `comments` (mode 1 accepted, 2 waiting for
moderation, 4 deleted but keeping its replies). Comments are read with a cursor, in id order;
a thread's key is the last path segment of its uri. Isso stores the text as written (Markdown
it renders on display), which is kept as it is."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from moderation.imports.records import Comment, Record, Skipped, Thread, commenter_key, slug_from_url

MODES = {1: "approved", 2: "held", 4: "deleted"}


class NotIssoDatabase(ValueError):
    pass


def read(path: Path) -> Iterator[Record]:
    try:
        # Batches are read in a worker thread, not always the same one.
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        # A hostile file's views or triggers could compute for ever: only plain tables are read.
        db.execute("PRAGMA trusted_schema = OFF")
        tables = {name for (name,) in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('threads', 'comments')")}
        if tables != {"threads", "comments"}:
            raise sqlite3.DatabaseError("no 'threads' and 'comments' tables")
        db.execute("SELECT id, uri, title FROM threads LIMIT 1").fetchall()
    except sqlite3.DatabaseError as exc:
        raise NotIssoDatabase(f"not an Isso database ({exc})") from None
    try:
        threads: dict[int, str] = {}
        for thread_id, uri, title in db.execute("SELECT id, uri, title FROM threads ORDER BY id"):
            slug = slug_from_url(uri)
            if slug is None:
                yield Skipped(f"thread {thread_id}", f"no key can be taken from its uri {uri!r}")
                continue
            threads[thread_id] = slug
            yield Thread(slug, uri, title or None)
        rows = db.execute("SELECT id, tid, parent, created, mode, text, author, email "
                          "FROM comments ORDER BY id")
        for comment_id, thread_id, parent, created, mode, text, author, email in rows:
            yield comment_record(comment_id, threads.get(thread_id), parent, created, mode, text,
                                 author, email)
    finally:
        db.close()


def comment_record(comment_id, slug, parent, created, mode, text, author, email) -> Record:
    where = f"comment {comment_id}"
    if slug is None:
        return Skipped(where, "its thread is not in the database")
    status = MODES.get(mode)
    if status is None:
        return Skipped(where, f"unknown mode {mode!r}")
    if not isinstance(created, int | float):
        return Skipped(where, "no date")
    name = (author or "").strip() or "Anonymous"
    return Comment(source_id=str(comment_id), thread=slug,
                   parent_source_id=str(parent) if parent is not None else None,
                   commenter=commenter_key("isso", email, name), author_name=name[:80],
                   author_email=email or None, body=(text or "").strip(), status=status,
                   created_at=datetime.fromtimestamp(created, UTC))
