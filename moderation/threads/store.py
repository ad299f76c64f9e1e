"""A thread's state, and closing it: by a moderator, or by the site N days after its first comment.

`threads.closed` is NULL while the site's auto-close decides (`auto_close_days` after the row was
created, which its first comment does), true once a moderator closed it and false once a moderator
reopened it, whatever its age.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from moderation.errors import ApiError

SELECT_THREAD = """
SELECT thread, title, url, closed, created_at, approved_count FROM threads
 WHERE site_id = $1 AND thread = $2"""

# A moderator may close a thread before its first comment: the row is created then.
SET_CLOSED = """
INSERT INTO threads (site_id, thread, closed) VALUES ($1, $2, $3)
ON CONFLICT (site_id, thread) DO UPDATE SET closed = EXCLUDED.closed
RETURNING thread, title, url, closed, created_at, approved_count"""


@dataclass(frozen=True, slots=True)
class ThreadState:
    thread: str
    title: str | None
    url: str | None
    closed: bool
    total: int

    def as_json(self) -> dict:
        return {"thread": self.thread, "title": self.title, "url": self.url,
                "closed": self.closed, "total": self.total}


def auto_close_cutoff(auto_close_days: int | None, now: datetime) -> datetime | None:
    """Threads created before this are closed unless a moderator reopened them."""
    return None if auto_close_days is None else now - timedelta(days=auto_close_days)


def is_closed(closed: bool | None, created_at: datetime | None, cutoff: datetime | None) -> bool:
    if closed is not None:
        return closed
    return cutoff is not None and created_at is not None and created_at <= cutoff


def thread_closed() -> ApiError:
    return ApiError(409, "thread_closed", "this thread is closed to new comments and votes")


def state_of(thread: str, row, cutoff: datetime | None) -> ThreadState:
    if row is None:  # no comment yet: an open, empty thread
        return ThreadState(thread, None, None, False, 0)
    return ThreadState(thread, row["title"], row["url"],
                       is_closed(row["closed"], row["created_at"], cutoff), row["approved_count"])


async def fetch_state(conn, site_id: str, thread: str, cutoff: datetime | None) -> ThreadState:
    return state_of(thread, await conn.fetchrow(SELECT_THREAD, site_id, thread), cutoff)


async def refuse_closed(conn, site_id: str, thread: str, cutoff: datetime | None) -> None:
    """409 thread_closed when the thread takes no more comments."""
    if (await fetch_state(conn, site_id, thread, cutoff)).closed:
        raise thread_closed()


async def set_closed(conn, site_id: str, thread: str, closed: bool,
                     cutoff: datetime | None) -> ThreadState:
    return state_of(thread, await conn.fetchrow(SET_CLOSED, site_id, thread, closed), cutoff)
