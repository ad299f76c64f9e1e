"""Remark42 backups: a first line of metadata (`version`, `users`, `posts`), then one JSON comment
per line, gzipped as Remark42 writes them or not. Read a line at a time; a thread's key is the
last path segment of the comment's `locator.url`, its title the comment's `title`."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import orjson

from moderation.imports.records import (
    Comment,
    Record,
    Skipped,
    Thread,
    commenter_key,
    lines,
    open_maybe_gzipped,
    slug_from_url,
)
from moderation.imports.text import html_to_text


def read(path: Path) -> Iterator[Record]:
    seen_threads: set[str] = set()
    with open_maybe_gzipped(path) as stream:
        for number, line in lines(stream):
            try:
                record = orjson.loads(line)
            except orjson.JSONDecodeError:
                yield Skipped(f"line {number}", "not JSON")
                continue
            if not isinstance(record, dict):
                yield Skipped(f"line {number}", "not a JSON object")
            elif "locator" not in record and ("version" in record or "posts" in record):
                continue  # the metadata line
            else:
                yield from comment_records(record, number, seen_threads)


def comment_records(record: dict, number: int, seen_threads: set[str]) -> Iterator[Record]:
    where = f"line {number}"
    source_id = record.get("id")
    locator = record.get("locator")
    user = record.get("user")
    if not isinstance(source_id, str) or not source_id:
        yield Skipped(where, "no comment id")
        return
    url = locator.get("url") if isinstance(locator, dict) else None
    slug = slug_from_url(url) if isinstance(url, str) else None
    if slug is None:
        yield Skipped(where, "no page URL to take the thread key from")
        return
    try:
        created = datetime.fromisoformat(record.get("time") or "")
    except (TypeError, ValueError):
        created = None
    if created is None or created.tzinfo is None:
        yield Skipped(where, "no date")
        return
    if slug not in seen_threads:
        seen_threads.add(slug)
        yield Thread(slug, url, record.get("title") or None, None)
    user = user if isinstance(user, dict) else {}
    name = str(user.get("name") or "").strip() or "Anonymous"
    parent = record.get("pid")
    yield Comment(source_id=source_id, thread=slug,
                  parent_source_id=parent if isinstance(parent, str) and parent else None,
                  commenter=commenter_key("remark42", str(user.get("id") or ""), name),
                  author_name=name[:80], author_email=None,
                  body=html_to_text(str(record.get("text") or "")),
                  status="deleted" if record.get("delete") else "approved", created_at=created)
