"""Runs an import: reads a peer's export in a thread, stores it in batches, reports progress and
a summary of what was imported, what was there already and what was skipped, and why."""

from __future__ import annotations

import asyncio
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import asyncpg

from moderation.imports import disqus, isso, remark42, store, wordpress
from moderation.imports.records import Comment, Record, Skipped, Thread
from moderation.text.fingerprint import text_hash

READERS: dict[str, Callable[[Path], Iterator[Record]]] = {
    "disqus": disqus.read, "wordpress": wordpress.read, "isso": isso.read,
    "remark42": remark42.read}
# Comments one statement stores: PostgreSQL's cost per batch is spread over more of them.
BATCH = 10_000
# Characters of text a batch holds at most, so memory is bounded whatever the comments' length.
BATCH_TEXT = 16_000_000
# Skipped records named one by one in the summary; the rest are counted by reason.
EXAMPLES = 20
BODY_MAX = 50_000
# Batches of comments being stored at once, each on its own connection: PostgreSQL's work on a
# batch is most of an import's, and one connection uses one core. A reply whose parent is in the
# other batch in flight is linked at the end (store.LINK_PARENTS).
IN_FLIGHT = 2
# Commenters this run has stored, so later batches skip them (bounded: forgotten past this).
KNOWN_COMMENTERS = 200_000


@dataclass
class Summary:
    read: int = 0  # comments and bad records of any kind
    imported: int = 0
    already: int = 0
    threads: int = 0
    orphans: int = 0
    skipped: Counter = field(default_factory=Counter)
    examples: list[dict] = field(default_factory=list)

    def skip(self, skipped: Skipped) -> None:
        self.skipped[skipped.reason] += 1
        if len(self.examples) < EXAMPLES:
            self.examples.append({"where": skipped.where, "reason": skipped.reason})

    def as_dict(self) -> dict:
        return {"read": self.read, "imported": self.imported, "already_imported": self.already,
                "threads": self.threads, "orphans": self.orphans,
                "skipped": sum(self.skipped.values()),
                "skipped_by_reason": dict(self.skipped.most_common()),
                "skipped_examples": self.examples}

    def lines(self) -> list[str]:
        out = [f"read {self.read:,} records, {self.threads:,} threads: imported "
               f"{self.imported:,}, already there {self.already:,}, skipped "
               f"{sum(self.skipped.values()):,}"]
        if self.orphans:
            out.append(f"{self.orphans:,} replies whose parent is not in the file are top-level")
        out += [f"skipped {n:,}: {reason}" for reason, n in self.skipped.most_common()]
        out += [f"  {e['where']}: {e['reason']}" for e in self.examples]
        return out


class Progress:
    """Items and rate on one line of a terminal, at most a few times a second; silent elsewhere."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = self.stream.isatty()
        self.started = time.monotonic()
        self.shown_at = 0.0

    def show(self, summary: Summary, final: bool = False) -> None:
        now = time.monotonic()
        if not self.enabled or (not final and now - self.shown_at < 0.2):
            return
        self.shown_at = now
        rate = summary.read / max(now - self.started, 1e-9)
        self.stream.write(f"\r{summary.read:>12,} records  {rate:>9,.0f}/s  imported "
                          f"{summary.imported:,}  skipped {sum(summary.skipped.values()):,}  ")
        if final:
            self.stream.write("\n")
        self.stream.flush()


def checked(record: Comment) -> Comment | Skipped:
    """The checks every source shares: a deleted comment keeps no text; others need some."""
    if record.status == "deleted":
        record.body, record.author_name = "", ""
        return record
    if not record.body.strip():
        return Skipped(f"comment {record.source_id}", "no text")
    if "\x00" in record.body or "\x00" in record.author_name:
        return Skipped(f"comment {record.source_id}", "text with a NUL character")
    if len(record.body) > BODY_MAX:
        return Skipped(f"comment {record.source_id}", f"longer than {BODY_MAX:,} characters")
    return record


def next_batch(records: Iterator[Record], summary: Summary, moderate: bool,
               size: int = BATCH) -> tuple[list[Thread], list[Comment], bool]:
    """Up to BATCH comments (and threads, and BATCH_TEXT characters of text) and whether the file
    is done; skipped records go to the summary."""
    threads: dict[str, Thread] = {}
    comments: dict[str, Comment] = {}
    text = 0
    for record in records:
        if isinstance(record, Thread):
            threads[record.slug] = record
            summary.threads += 1
        elif isinstance(record, Skipped):
            summary.read += 1
            summary.skip(record)
        else:
            summary.read += 1
            result = checked(record)
            if isinstance(result, Skipped):
                summary.skip(result)
            elif result.source_id in comments:
                summary.skip(Skipped(f"comment {result.source_id}",
                                     "the same id twice in the file"))
            else:
                if moderate and result.status in ("approved", "held"):
                    result.status = "pending"
                comments[result.source_id] = result
                text += len(result.body)
        if len(comments) >= size or len(threads) >= size or text >= BATCH_TEXT:
            return list(threads.values()), list(comments.values()), False
    return list(threads.values()), list(comments.values()), True


async def store_comments(pool: asyncpg.Pool, site_id: str, source: str,
                         comments: list[Comment], summary: Summary, progress: Progress) -> None:
    # The rules read text hashes of the comments they judge; trusted history needs none.
    hashes = [text_hash(c.body) if c.status == "pending" else None for c in comments]
    async with pool.acquire() as conn:
        new = await store.store_comments(conn, site_id, source, comments, hashes)
    summary.imported += new
    summary.already += len(comments) - new
    progress.show(summary)


async def run_import(pool: asyncpg.Pool, site_id: str, source: str, path: Path, *,
                     moderate: bool = False, progress: Progress | None = None,
                     batch_size: int = BATCH) -> Summary:
    """Imports the file into the site; raises ValueError for a file that is not of the source's
    format at all (a bad record inside one is skipped and reported). The next batch is read in
    a thread while earlier ones are stored."""
    summary = Summary()
    records = READERS[source](path)
    progress = progress or Progress()
    reading = asyncio.ensure_future(
        asyncio.to_thread(next_batch, records, summary, moderate, batch_size))
    known_commenters: set[str] = set()
    storing: list[asyncio.Task] = []
    try:
        done = False
        while not done:
            threads, comments, done = await reading
            if not done:
                reading = asyncio.ensure_future(
                    asyncio.to_thread(next_batch, records, summary, moderate, batch_size))
            async with pool.acquire() as conn:
                await store.store_people(conn, site_id, threads, comments, known_commenters)
            if len(known_commenters) > KNOWN_COMMENTERS:
                known_commenters.clear()
            known_commenters.update(c.commenter for c in comments)
            if len(storing) >= IN_FLIGHT:
                await storing.pop(0)
            storing.append(asyncio.create_task(
                store_comments(pool, site_id, source, comments, summary, progress)))
        while storing:
            await storing.pop(0)
    finally:
        await asyncio.gather(reading, *storing, return_exceptions=True)  # nothing left running
    async with pool.acquire() as conn:
        summary.orphans = await store.link_replies(conn, site_id, source)
    progress.show(summary, final=True)
    return summary
