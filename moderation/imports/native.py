"""The service's own format: `moderation export` writes a site as JSON Lines, `moderation import
native` reads them back, ids and all, so an empty site becomes identical to the one exported.

Lines, in this order: one `site` header, the site's `settings` and `wordlist`s, then `thread`,
`commenter`, `comment`, `rating` and `decision` records (the audit trail), each in id order.
Every line is built and read by PostgreSQL itself (json_build_object, jsonb ->>), so timestamps
and text round-trip exactly. `--since` keeps threads and commenters whole and limits comments and
ratings to those created, edited or decided since, and decisions to those made since.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from pathlib import Path

import asyncpg
import orjson

from moderation.imports.records import Skipped, lines, open_maybe_gzipped
from moderation.imports.runner import Progress, Summary
from moderation.imports.store import BULK, REPLY_EMAILS, WAKE_EMAIL_WORKERS
from moderation.review.audit import insert_audit

FORMAT = "moderation"
VERSION = 1

EXPORTS = {
    "settings": """
SELECT json_build_object('type', 'settings', 'settings', settings)::text
  FROM sites WHERE site_id = $1""",
    "wordlist": """
SELECT json_build_object('type', 'wordlist', 'name', name, 'words', words, 'version', version,
                         'updated_at', updated_at)::text
  FROM wordlists WHERE site_id = $1 ORDER BY name""",
    "thread": """
SELECT json_build_object('type', 'thread', 'thread', thread, 'url', url, 'title', title,
                         'created_at', created_at)::text
  FROM threads WHERE site_id = $1 ORDER BY thread""",
    "commenter": """
SELECT json_build_object('type', 'commenter', 'commenter', commenter, 'name', name,
                         'email', email, 'verified', verified, 'banned_until', banned_until,
                         'ban_reason', ban_reason, 'created_at', created_at)::text
  FROM commenters WHERE site_id = $1
 ORDER BY commenter""",
    "comment": """
SELECT json_build_object('type', 'comment', 'id', comment_id::text, 'thread', thread,
                         'parent_id', parent_id::text, 'root_id', root_id::text,
                         'commenter', commenter, 'author_name', author_name,
                         'verified', verified, 'body', body, 'status', status,
                         'version', version, 'revision', revision, 'priority', priority,
                         'created_at', created_at, 'edited_at', edited_at,
                         'decided_at', decided_at)::text
  FROM comments
 WHERE site_id = $1 AND ($2::timestamptz IS NULL OR created_at >= $2 OR edited_at >= $2
                         OR decided_at >= $2)
 ORDER BY comment_id""",
    "rating": """
SELECT json_build_object('type', 'rating', 'id', rating_id::text, 'author', author,
                         'rater', rater, 'score', score, 'status', status, 'version', version,
                         'revision', revision, 'priority', priority, 'verified', verified,
                         'created_at', created_at, 'decided_at', decided_at)::text
  FROM ratings
 WHERE site_id = $1 AND ($2::timestamptz IS NULL OR created_at >= $2 OR decided_at >= $2)
 ORDER BY rating_id""",
    "decision": """
SELECT json_build_object('type', 'decision', 'id', audit_id::text, 'kind', kind,
                         'item_id', item_id::text, 'commenter', commenter, 'actor', actor,
                         'action', action, 'from_status', from_status, 'to_status', to_status,
                         'reason', reason, 'created_at', created_at)::text
  FROM audit WHERE site_id = $1 AND ($2::timestamptz IS NULL OR created_at >= $2)
 ORDER BY audit_id""",
}

# The records --since limits; the others are exported whole (they are few, and what the
# limited ones refer to).
SINCE_FILTERED = {"comment", "rating", "decision"}


async def export_lines(pool: asyncpg.Pool, site_id: str,
                       since: datetime | None = None) -> AsyncIterator[bytes]:
    """The site's lines, read with server-side cursors in one snapshot (REPEATABLE READ)."""
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read",
                                                        readonly=True):
        exported_at = await conn.fetchval("SELECT to_json(now())::text")
        yield orjson.dumps({"type": "site", "format": FORMAT, "version": VERSION,
                            "site": site_id, "exported_at": orjson.loads(exported_at),
                            "since": since.isoformat() if since else None}) + b"\n"
        for kind, query in EXPORTS.items():
            arguments = (site_id, since) if kind in SINCE_FILTERED else (site_id,)
            async for row in conn.cursor(query, *arguments, prefetch=2000):
                yield row[0].encode() + b"\n"


# Each kind of record stored from a batch of its lines ($2, jsonb[]), ids kept; a record already
# there (the same id) is left as it is, so an import can run again.
IMPORTS = {
    "settings": """
UPDATE sites SET settings = r.settings, settings_version = settings_version + 1
  FROM (SELECT line::jsonb->'settings' AS settings FROM unnest($2::text[]) line) r
 WHERE site_id = $1""",
    "wordlist": """
INSERT INTO wordlists (site_id, name, words, version, updated_at)
SELECT $1, x->>'name', ARRAY(SELECT jsonb_array_elements_text(x->'words')),
       (x->>'version')::int, (x->>'updated_at')::timestamptz
  FROM (SELECT line::jsonb AS x FROM unnest($2::text[]) line) r
ON CONFLICT (site_id, name) DO UPDATE
   SET words = EXCLUDED.words, version = EXCLUDED.version, updated_at = EXCLUDED.updated_at""",
    "thread": """
INSERT INTO threads (site_id, thread, url, title, created_at)
SELECT $1, x->>'thread', x->>'url', x->>'title', (x->>'created_at')::timestamptz
  FROM (SELECT line::jsonb AS x FROM unnest($2::text[]) line) r
ON CONFLICT (site_id, thread) DO NOTHING""",
    "commenter": """
INSERT INTO commenters (site_id, commenter, name, email, verified, banned_until, ban_reason,
                        created_at)
SELECT $1, x->>'commenter', x->>'name', x->>'email', (x->>'verified')::boolean,
       (x->>'banned_until')::timestamptz, x->>'ban_reason', (x->>'created_at')::timestamptz
  FROM (SELECT line::jsonb AS x FROM unnest($2::text[]) line) r
ON CONFLICT (site_id, commenter) DO NOTHING""",
    "comment": """
WITH stored AS (
    INSERT INTO comments (site_id, comment_id, thread, parent_id, root_id, commenter,
                          author_name, verified, body, status, version, revision, priority,
                          created_at, edited_at, decided_at)
    OVERRIDING SYSTEM VALUE
    SELECT $1, (x->>'id')::bigint, x->>'thread', (x->>'parent_id')::bigint,
           (x->>'root_id')::bigint, x->>'commenter', x->>'author_name',
           (x->>'verified')::boolean, x->>'body', x->>'status', (x->>'version')::int,
           (x->>'revision')::int, (x->>'priority')::real, (x->>'created_at')::timestamptz,
           (x->>'edited_at')::timestamptz, (x->>'decided_at')::timestamptz
      FROM (SELECT line::jsonb AS x FROM unnest($2::text[]) line) r
    ON CONFLICT (site_id, comment_id) DO NOTHING
    RETURNING site_id, comment_id, thread, parent_id, commenter, status, version
), counted AS (
    -- Joined on the changes' own site column, not on $1: no plan scans the site's threads once
    -- per changed thread, whatever the statistics say of a new site.
    UPDATE threads t SET approved_count = t.approved_count + n.approved
      FROM (SELECT $1::text AS site_id, thread, count(*) AS approved FROM stored
             WHERE status = 'approved' GROUP BY thread) n
     WHERE t.site_id = n.site_id AND t.thread = n.thread
), jobs AS (
    INSERT INTO jobs (site_id, kind, item_id, item_version)
    SELECT $1, 'comment', comment_id, version FROM stored WHERE status = 'pending'
), """ + REPLY_EMAILS + """
SELECT (SELECT count(*) FROM stored), """ + WAKE_EMAIL_WORKERS,
    "rating": """
WITH stored AS (
    INSERT INTO ratings (site_id, rating_id, author, rater, score, status, version, revision,
                         priority, verified, created_at, decided_at)
    OVERRIDING SYSTEM VALUE
    SELECT $1, (x->>'id')::bigint, x->>'author', x->>'rater', (x->>'score')::smallint,
           x->>'status', (x->>'version')::int, (x->>'revision')::int, (x->>'priority')::real,
           (x->>'verified')::boolean, (x->>'created_at')::timestamptz,
           (x->>'decided_at')::timestamptz
      FROM (SELECT line::jsonb AS x FROM unnest($2::text[]) line) r ORDER BY (x->>'id')::bigint
    ON CONFLICT (site_id, rating_id) DO NOTHING
    RETURNING rating_id, status, version
), jobs AS (
    INSERT INTO jobs (site_id, kind, item_id, item_version)
    SELECT $1, 'rating', rating_id, version FROM stored WHERE status = 'pending'
)
SELECT count(*) FROM stored""",
    # The audit as it was: each row keeps its id and time.
    "decision": insert_audit("commenter", "audit_id", "created_at") + """
OVERRIDING SYSTEM VALUE
SELECT $1, x->>'kind', (x->>'item_id')::bigint, x->>'actor', x->>'action', x->>'from_status',
       x->>'to_status', x->>'reason', x->>'commenter', (x->>'id')::bigint,
       (x->>'created_at')::timestamptz
  FROM (SELECT line::jsonb AS x FROM unnest($2::text[]) line) r
ON CONFLICT (site_id, audit_id) DO NOTHING""",
}

# After ids were kept, new rows must not be given one of them: each sequence moves past them.
ADVANCE_SEQUENCES = """
SELECT setval(pg_get_serial_sequence('comments', 'comment_id'),
              greatest((SELECT max(comment_id) FROM comments),
                       nextval(pg_get_serial_sequence('comments', 'comment_id')))),
       setval(pg_get_serial_sequence('ratings', 'rating_id'),
              greatest((SELECT max(rating_id) FROM ratings),
                       nextval(pg_get_serial_sequence('ratings', 'rating_id')))),
       setval(pg_get_serial_sequence('audit', 'audit_id'),
              greatest((SELECT max(audit_id) FROM audit),
                       nextval(pg_get_serial_sequence('audit', 'audit_id'))))"""

# What each record needs to be stored at all (a wrong value is found by PostgreSQL's casts).
REQUIRED = {
    "settings": ("settings",), "wordlist": ("name", "words", "version"),
    "thread": ("thread", "created_at"), "commenter": ("commenter", "name", "created_at"),
    "comment": ("id", "thread", "commenter", "author_name", "body", "status", "version",
                "revision", "created_at"),
    "rating": ("id", "author", "rater", "score", "status", "version", "revision", "created_at"),
    "decision": ("id", "kind", "actor", "action", "to_status", "created_at"),
}
BATCH = 5000


class NotNativeExport(ValueError):
    pass


def read(path: Path) -> Iterator[tuple[str, int, bytes] | Skipped]:
    """(type, line number, line) of each record after the header, or what was wrong with it."""
    with open_maybe_gzipped(path) as stream:
        header_seen = False
        for number, line in lines(stream):
            try:
                record = orjson.loads(line)
            except orjson.JSONDecodeError:
                if not header_seen:
                    raise NotNativeExport("not a `moderation export` file (no site header)") from None
                yield Skipped(f"line {number}", "not JSON")
                continue
            kind = record.get("type") if isinstance(record, dict) else None
            if not header_seen or kind == "site":
                header_seen = True
                if kind != "site" or record.get("format") != FORMAT:
                    raise NotNativeExport("not a `moderation export` file (no site header)")
                if record.get("version") != VERSION:
                    raise NotNativeExport(f"export format version {record.get('version')} "
                                          f"is not {VERSION}")
                continue
            if kind not in REQUIRED:
                yield Skipped(f"line {number}", f"unknown record type {kind!r}")
                continue
            missing = [name for name in REQUIRED[kind] if record.get(name) is None]
            if missing:
                yield Skipped(f"line {number}", f"{kind} without {', '.join(missing)}")
                continue
            yield kind, number, line


def next_batch(entries: Iterator[tuple[str, int, bytes] | Skipped],
               summary: Summary) -> tuple[dict[str, list[tuple[int, bytes]]], bool]:
    """Up to BATCH lines by kind, and whether the file is done; bad lines go to the summary."""
    batches: dict[str, list[tuple[int, bytes]]] = {kind: [] for kind in IMPORTS}
    taken = 0
    for entry in entries:
        if isinstance(entry, Skipped):
            summary.read += 1
            summary.skip(entry)
            continue
        kind, number, line = entry
        batches[kind].append((number, line))
        taken += 1
        if taken >= BATCH:
            return batches, False
    return batches, True


async def import_native(pool: asyncpg.Pool, site_id: str, path: Path,
                        progress: Progress | None = None) -> Summary:
    """Imports a `moderation export` file; raises NotNativeExport for any other file. The next
    batch is read in a thread while this one is stored."""
    summary = Summary()
    progress = progress or Progress()
    entries = read(path)
    reading = asyncio.ensure_future(asyncio.to_thread(next_batch, entries, summary))
    try:
        done = False
        while not done:
            batches, done = await reading
            if not done:
                reading = asyncio.ensure_future(asyncio.to_thread(next_batch, entries, summary))
            await store_batches(pool, site_id, batches, summary)
            progress.show(summary)
    finally:
        await asyncio.gather(reading, return_exceptions=True)
    async with pool.acquire() as conn:
        # Committed with the WAL flush that the batches did not wait for (store.BULK).
        await conn.fetchval(ADVANCE_SEQUENCES)
    progress.show(summary, final=True)
    return summary


async def store_batches(pool: asyncpg.Pool, site_id: str,
                        batches: dict[str, list[tuple[int, bytes]]], summary: Summary) -> None:
    """Each kind's lines in a transaction, in the order the file gives them; a batch that
    PostgreSQL refuses is stored line by line, and the refused lines are skipped and reported."""
    async with pool.acquire() as conn:
        for kind, entries in batches.items():
            if not entries:
                continue
            try:
                stored = await store(conn, site_id, kind, [line for _, line in entries])
            except (asyncpg.DataError, asyncpg.IntegrityConstraintViolationError):
                stored = 0
                for number, line in entries:
                    try:
                        stored += await store(conn, site_id, kind, [line])
                    except (asyncpg.DataError, asyncpg.IntegrityConstraintViolationError) as exc:
                        summary.skip(Skipped(f"line {number}", f"{kind} refused: {exc}"))
            if kind == "comment":
                summary.read += len(entries)
                summary.imported += stored
                summary.already += len(entries) - stored
            elif kind == "thread":
                summary.threads += len(entries)
            entries.clear()


async def store(conn, site_id: str, kind: str, batch: list[bytes]) -> int:
    async with conn.transaction():
        await conn.execute(BULK)
        result = await conn.fetchval(IMPORTS[kind], site_id, [line.decode() for line in batch])
    return result if isinstance(result, int) else 0
