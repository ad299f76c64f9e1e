"""WordPress WXR exports (`<item>` with `<wp:comment>`), whatever their `wp` namespace version.

Read with iterparse one `<item>` at a time (each dropped once read). A thread's key is the post's
`wp:post_name`, else the last path segment of its `<link>`, else `post-<wp:post_id>`. Pingbacks
and trackbacks are not comments and are skipped.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from xml.etree.ElementTree import Element, ParseError

from moderation.imports.disqus import children, children_at, local, text_of
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

STATUSES = {"1": "approved", "approve": "approved", "0": "held", "hold": "held",
            "spam": "rejected", "trash": "deleted", "post-trashed": "deleted"}


def gmt(text: str) -> datetime | None:
    """A `YYYY-MM-DD HH:MM:SS` in UTC; WordPress writes zeros for a date it does not have."""
    if not text or text.startswith("0000"):
        return None
    try:
        return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    except ValueError:
        return None


def read(path: Path) -> Iterator[Record]:
    with open_maybe_gzipped(path) as stream:
        try:
            for element in children_at(stream, 2):  # the <item>s of <channel>
                if local(element.tag) == "item":
                    yield from item_records(element)
        except ParseError as exc:
            yield Skipped(f"line {exc.position[0]}", f"the XML stops being well-formed: {exc}")


def item_records(item: Element) -> Iterator[Record]:
    comments = [child for child in item if local(child.tag) == "comment"]
    if not comments:
        return
    found = children(item)
    link = text_of(found, "link") or None
    post_id = text_of(found, "post_id")
    slug = (slug_of(text_of(found, "post_name")) or slug_from_url(link)
            or slug_of(f"post-{post_id}" if post_id else None))
    if slug is None:
        yield Skipped(f"item {text_of(found, 'title')!r}", "no post name, link or post id for its key")
        return
    posted = gmt(text_of(found, "post_date_gmt"))
    yield Thread(slug, link, text_of(found, "title") or None, posted)
    for comment in comments:
        yield comment_record(children(comment), slug, posted)


def comment_record(found: dict[str, Element], slug: str, posted: datetime | None) -> Record:
    source_id = text_of(found, "comment_id")
    if not source_id:
        return Skipped(f"a comment of {slug}", "no comment_id")
    where = f"comment {source_id}"
    if text_of(found, "comment_type") in ("pingback", "trackback"):
        return Skipped(where, "a pingback or trackback, not a comment")
    status = STATUSES.get(text_of(found, "comment_approved").lower())
    if status is None:
        return Skipped(where, f"unknown comment_approved {text_of(found, 'comment_approved')!r}")
    created = (gmt(text_of(found, "comment_date_gmt")) or gmt(text_of(found, "comment_date"))
               or posted)
    if created is None:
        return Skipped(where, "no date, and its post has none")
    name = text_of(found, "comment_author") or "Anonymous"
    email = text_of(found, "comment_author_email") or None
    parent = text_of(found, "comment_parent")
    content = found.get("comment_content")
    user_id = text_of(found, "comment_user_id")
    return Comment(source_id=source_id, thread=slug,
                   parent_source_id=parent if parent and parent != "0" else None,
                   commenter=commenter_key("wordpress",
                                           f"user {user_id}" if user_id not in ("", "0") else None,
                                           email, name),
                   author_name=name[:80], author_email=email,
                   body=html_to_text((content.text or "") if content is not None else "",
                                     newlines_are_breaks=True),
                   status=status, created_at=created)
