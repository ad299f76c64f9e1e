"""What every importer reads a peer's export into: threads, comments and problems, in file order."""

from __future__ import annotations

import gzip
import hashlib
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import IO, BinaryIO, cast
from urllib.parse import unquote, urlsplit

from moderation.web.models import SLUG_PATTERN


@dataclass(slots=True)
class Thread:
    slug: str
    url: str | None
    title: str | None
    created_at: datetime | None = None


@dataclass(slots=True)
class Comment:
    source_id: str
    thread: str
    parent_source_id: str | None
    commenter: str  # "<source>:<hash of the source's identity>"
    author_name: str
    author_email: str | None
    body: str
    # SPEC.md's mapping: approved, pending → held, deleted, spam → rejected ('pending' with
    # --moderate)
    status: str
    created_at: datetime


@dataclass(slots=True)
class Skipped:
    """A record that could not be imported: where it is in the file (a line or an id), and why."""

    where: str
    reason: str


Record = Thread | Comment | Skipped

SLUG = re.compile(SLUG_PATTERN)
NOT_SLUG = re.compile(r"[^A-Za-z0-9._~-]+")


def slug_of(text: str | None) -> str | None:
    """A thread key from a peer's page identifier: accents folded, other characters dashed."""
    if not text:
        return None
    folded = unicodedata.normalize("NFKD", unquote(text))
    ascii_only = folded.encode("ascii", "ignore").decode()
    slug = NOT_SLUG.sub("-", ascii_only).strip("-._~")[:200].rstrip("-._~")
    return slug if SLUG.fullmatch(slug) else None


# Every comment of a page names its URL, and every comment of a person their identity: the
# answers are remembered (bounded) rather than parsed again.
@lru_cache(maxsize=65_536)
def slug_from_url(url: str | None) -> str | None:
    """The last path segment of a page's URL (else its query, else its host), as a thread key."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    segments = [s for s in parts.path.split("/") if s]
    return (slug_of(segments[-1]) if segments else None) or slug_of(parts.query) \
        or slug_of(parts.hostname)


@lru_cache(maxsize=65_536)
def commenter_key(source: str, *identities: str | None) -> str:
    """The same person in a source is one commenter: by the first identity the source gives
    (an account, an email, a name)."""
    identity = next((i.strip().lower() for i in identities if i and i.strip()), "anonymous")
    return f"{source}:" + hashlib.sha256(identity.encode()).hexdigest()[:24]


GZIP_MAGIC = b"\x1f\x8b"


# Real exports shrink 5 to 15 times when gzipped; a file that unpacks to more than this many times
# its size (or 64 MiB, if more) is a bomb, not an export.
MAX_UNPACK_RATIO = 50
MIN_UNPACK_LIMIT = 64 << 20
# A line longer than this is no comment: it is skipped without being held in memory.
MAX_LINE_BYTES = 16 << 20


class TooLargeUnpacked(ValueError):
    pass


class _BoundedGzip(gzip.GzipFile):
    """A gzip stream that refuses to unpack past a limit."""

    def __init__(self, path: Path, limit: int) -> None:
        super().__init__(path, "rb")
        self.limit, self.unpacked = limit, 0

    def read(self, size: int | None = -1) -> bytes:
        return self.counted(super().read(size))

    def readline(self, size: int | None = -1) -> bytes:
        return self.counted(super().readline(size))

    def counted(self, data: bytes) -> bytes:
        self.unpacked += len(data)
        if self.unpacked > self.limit:
            raise TooLargeUnpacked(f"the file unpacks to more than {self.limit:,} bytes "
                                   f"({MAX_UNPACK_RATIO} times its size): refused")
        return data


def open_maybe_gzipped(path: Path) -> BinaryIO:
    """The file's bytes, unzipped on the fly when it is gzipped (whatever its name), within
    MAX_UNPACK_RATIO times its size."""
    with open(path, "rb") as probe:
        gzipped = probe.read(2) == GZIP_MAGIC
    if not gzipped:
        return open(path, "rb")
    limit = max(MIN_UNPACK_LIMIT, MAX_UNPACK_RATIO * path.stat().st_size)
    return cast(BinaryIO, _BoundedGzip(path, limit))


def lines(stream: IO[bytes]) -> Iterator[tuple[int, bytes]]:
    """Non-empty lines with their numbers, one at a time; a line over MAX_LINE_BYTES comes as
    b"{too long}" (a bad record) without being read into memory."""
    number = 0
    while line := stream.readline(MAX_LINE_BYTES):
        number += 1
        if len(line) == MAX_LINE_BYTES and not line.endswith(b"\n"):
            while (rest := stream.readline(MAX_LINE_BYTES)) and not rest.endswith(b"\n"):
                pass
            yield number, b"{too long}"
        elif line.strip():
            yield number, line
