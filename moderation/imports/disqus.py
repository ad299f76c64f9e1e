"""Disqus XML exports (`<disqus>` with `<thread dsq:id>` and `<post dsq:id>`), gzipped or not.

Read with iterparse and each top-level element dropped once read, so memory holds one post and
the map of thread ids to keys, however large the file. A thread's key is its `<id>`, or, when
that is empty, the last path segment of its `<link>`.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import IO
from xml.etree.ElementTree import Element, ParseError, iterparse

from moderation.imports.records import (
    Comment,
    Record,
    Skipped,
    Thread,
    commenter_key,
    open_maybe_gzipped,
    slug_from_url,
    slug_of,
)
from moderation.imports.text import html_to_text


def local(tag: str) -> str:
    return tag.rpartition("}")[2]


def children_at(stream: IO[bytes], level: int) -> Iterator[Element]:
    """Each child of the elements at `level` (1: the root) as it ends, one at a time; its parent
    is emptied once the caller is done with it, so memory holds one record, not the file."""
    depth = 0
    parent: Element | None = None
    for event, element in iterparse(stream, events=("start", "end")):
        if event == "start":
            depth += 1
            if depth == level:
                parent = element
            continue
        depth -= 1
        if depth == level and parent is not None:
            yield element
            parent.clear()


def dsq_id(element: Element | None) -> str | None:
    """The `dsq:id` attribute, whatever prefix the file binds the namespace to."""
    if element is None:
        return None
    for name, value in element.attrib.items():
        if local(name) == "id" and value.strip():
            return value.strip()
    return None


def children(element: Element) -> dict[str, Element]:
    return {local(child.tag): child for child in element}


def text_of(found: dict[str, Element], name: str) -> str:
    child = found.get(name)
    return (child.text or "").strip() if child is not None else ""


def flag(found: dict[str, Element], name: str) -> bool:
    return text_of(found, name).lower() == "true"


def moment(text: str) -> datetime | None:
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None


def read(path: Path) -> Iterator[Record]:
    threads: dict[str, tuple[str, datetime | None]] = {}
    with open_maybe_gzipped(path) as stream:
        try:
            for element in children_at(stream, 1):
                kind = local(element.tag)
                if kind == "thread":
                    yield from thread_record(element, threads)
                elif kind == "post":
                    yield post_record(element, threads)
        except ParseError as exc:
            yield Skipped(f"line {exc.position[0]}", f"the XML stops being well-formed: {exc}")


def thread_record(element: Element, threads: dict) -> Iterator[Record]:
    source_id = dsq_id(element)
    found = children(element)
    link = text_of(found, "link") or None
    slug = slug_of(text_of(found, "id")) or slug_from_url(link)
    if source_id is None:
        yield Skipped("thread without dsq:id", "a thread needs its dsq:id")
        return
    if slug is None:
        yield Skipped(f"thread {source_id}", "neither an <id> nor a <link> to take its key from")
        return
    created = moment(text_of(found, "createdAt"))
    threads[source_id] = (slug, created)
    yield Thread(slug, link, text_of(found, "title") or None, created)


def post_record(element: Element, threads: dict) -> Record:
    source_id = dsq_id(element)
    if source_id is None:
        return Skipped("post without dsq:id", "a post needs its dsq:id")
    found = children(element)
    thread = threads.get(dsq_id(found.get("thread")) or "")
    if thread is None:
        return Skipped(f"post {source_id}", "its thread is not in the file")
    slug, thread_created = thread
    created = moment(text_of(found, "createdAt")) or thread_created
    if created is None:
        return Skipped(f"post {source_id}", "no date, and its thread has none")
    author = children(found["author"]) if "author" in found else {}
    name = text_of(author, "name") or text_of(author, "username") or "Anonymous"
    email = text_of(author, "email") or None
    if flag(found, "isSpam"):
        status = "rejected"
    elif flag(found, "isDeleted"):
        status = "deleted"
    elif text_of(found, "isApproved").lower() == "false":
        status = "held"
    else:
        status = "approved"
    message = found.get("message")
    return Comment(source_id=source_id, thread=slug,
                   parent_source_id=dsq_id(found.get("parent")),
                   commenter=commenter_key("disqus", text_of(author, "username"), email, name),
                   author_name=name[:80], author_email=email,
                   body=html_to_text(message.text or "") if message is not None else "",
                   status=status, created_at=created)
