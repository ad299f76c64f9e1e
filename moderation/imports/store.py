"""The SQL of imports: a batch of threads, commenters and comments in one transaction, and the
threading pass that links replies to their parents once every comment of the file is stored.

Every batch runs with moderation.bulk_import set (sql/0011_imports.sql): threads' approved counts
are added once per batch by the statement that stores the comments, and history raises no
webhook events. Comments keep their source ids in imported_comments: a comment seen before is
not stored again.
"""

from __future__ import annotations

from collections.abc import Sequence, Set

from moderation.imports.records import Comment, Thread

# Also a fresh plan for every batch: after five batches PostgreSQL would keep a generic plan
# made for the empty site the import started with, 30 times slower once it holds rows.
BULK_DURABLE = ("SET LOCAL moderation.bulk_import = 'on'; "
                "SET LOCAL plan_cache_mode = force_custom_plan")
# Batches do not wait for the WAL flush at commit: the import's last transaction (link_replies)
# does, and with it every batch before, so a summary is only shown for what is on disk; a crash
# mid-import loses at most the last batches, which running it again stores.
BULK = BULK_DURABLE + "; SET LOCAL synchronous_commit = off"
LONG_S = 3600

# Threads on first sight; a thread that exists keeps what it has and gains what it lacked. In
# key order, as the batches in flight lock the threads whose counts they change.
UPSERT_THREADS = """
INSERT INTO threads AS t (site_id, thread, url, title, created_at)
SELECT $1, s.thread, s.url, s.title, coalesce(s.created_at, now())
  FROM unnest($2::text[], $3::text[], $4::text[], $5::timestamptz[])
       AS s(thread, url, title, created_at)
 ORDER BY s.thread
ON CONFLICT (site_id, thread) DO UPDATE
   SET url = coalesce(t.url, EXCLUDED.url), title = coalesce(t.title, EXCLUDED.title),
       created_at = least(t.created_at, EXCLUDED.created_at)"""

INSERT_COMMENTERS = """
INSERT INTO commenters (site_id, commenter, name, email, created_at)
SELECT $1, c.commenter, c.name, c.email, c.created_at
  FROM unnest($2::text[], $3::text[], $4::text[], $5::timestamptz[])
       AS c(commenter, name, email, created_at)
ON CONFLICT (site_id, commenter) DO NOTHING"""

# The comments not imported before: each candidate draws an id, and those whose source id is
# new keep theirs (the primary key of imported_comments decides, one index probe each, and two
# imports of one file at once cannot both store a comment); the others' ids go unused.
# A reply is stored with its parent and top-level ancestor when its parent is stored already
# (by an earlier batch) or comes in this batch (the recursive `tree`), in the same thread and
# older; any other reply is stored top-level for now, and LINK_PARENTS tries again once the whole
# file is stored (a parent later in the file). Each thread's count gains its new approved
# comments; comments sent through the rules ('pending') get their rule job.
INSERT_COMMENTS = """
WITH RECURSIVE candidates AS MATERIALIZED (
    SELECT s.*, nextval(pg_get_serial_sequence('comments', 'comment_id')) AS comment_id
      FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
                  $9::text[], $10::timestamptz[], $11::bigint[])
           AS s(source_id, thread, parent_source_id, commenter, author_name, body, status,
                created_at, text_hash)
), kept AS (
    INSERT INTO imported_comments (site_id, source, source_id, comment_id, parent_source_id)
    SELECT $1, $2, source_id, comment_id, parent_source_id FROM candidates
    ON CONFLICT (site_id, source, source_id) DO NOTHING
    RETURNING comment_id
), fresh AS MATERIALIZED (
    SELECT c.* FROM candidates c JOIN kept k ON k.comment_id = c.comment_id
), stored_before AS MATERIALIZED (
    -- Parents from earlier batches, each found by index probes (OFFSET 0: see LINK_PARENTS).
    SELECT f.comment_id, p.comment_id AS parent_id, coalesce(p.root_id, p.comment_id) AS root_id
      FROM fresh f
     CROSS JOIN LATERAL (
           SELECT pi.comment_id FROM imported_comments pi
            WHERE pi.site_id = $1 AND pi.source = $2 AND pi.source_id = f.parent_source_id
           OFFSET 0) pi
     CROSS JOIN LATERAL (
           SELECT p.comment_id, p.root_id, p.thread, p.created_at FROM comments p
            WHERE p.site_id = $1 AND p.comment_id = pi.comment_id OFFSET 0) p
     WHERE p.thread = f.thread AND (p.created_at, p.comment_id) < (f.created_at, f.comment_id)
), tree (comment_id, source_id, thread, created_at, parent_id, root_id) AS (
    -- A join, not NOT EXISTS: the planner ran that as a scan of the batch per reply.
    SELECT f.comment_id, f.source_id, f.thread, f.created_at, b.parent_id, b.root_id
      FROM fresh f
      LEFT JOIN stored_before b ON b.comment_id = f.comment_id
      LEFT JOIN fresh p ON p.source_id = f.parent_source_id
     WHERE f.parent_source_id IS NULL OR b.comment_id IS NOT NULL OR p.source_id IS NULL
    UNION ALL
    SELECT f.comment_id, f.source_id, f.thread, f.created_at, t.comment_id,
           coalesce(t.root_id, t.comment_id)
      FROM tree t JOIN fresh f ON f.parent_source_id = t.source_id
     WHERE f.thread = t.thread AND (t.created_at, t.comment_id) < (f.created_at, f.comment_id)
), stored AS (
    INSERT INTO comments (site_id, comment_id, thread, parent_id, root_id, commenter,
                          author_name, body, status, created_at, decided_at, text_hash)
    OVERRIDING SYSTEM VALUE
    SELECT $1, f.comment_id, f.thread, t.parent_id, t.root_id, f.commenter, f.author_name,
           f.body, f.status, f.created_at,
           CASE WHEN f.status <> 'pending' THEN f.created_at END, f.text_hash
      FROM fresh f LEFT JOIN tree t ON t.comment_id = f.comment_id
    RETURNING comment_id, thread, status, version
), changes AS MATERIALIZED (
    SELECT thread, count(*) AS approved FROM stored WHERE status = 'approved' GROUP BY thread
), locked AS MATERIALIZED (
    -- In key order, as every writer of counts locks them (sql/0007): two batches in flight, or
    -- a batch and the rule workers, cannot deadlock on two threads.
    SELECT t.thread, c.approved FROM threads t JOIN changes c ON c.thread = t.thread
     WHERE t.site_id = $1 ORDER BY t.thread FOR UPDATE OF t
), counted AS (
    UPDATE threads t SET approved_count = t.approved_count + l.approved
      FROM locked l WHERE t.site_id = $1 AND t.thread = l.thread
), rule_jobs AS (
    INSERT INTO jobs (site_id, kind, item_id, item_version)
    SELECT $1, 'comment', comment_id, version FROM stored WHERE status = 'pending'
)
SELECT count(*) FROM stored"""

# Replies whose parent is now stored (in the same thread, and older: a loop in the source's
# data cannot become a loop here) point at it; the others stay top-level. The LATERAL joins
# (OFFSET 0 keeps each a subquery) make every step an index probe whatever the statistics say:
# a fresh import has none, and a planner that believes the site holds one row rescans the whole
# import for each reply.
LINK_PARENTS = """
UPDATE comments c SET parent_id = p.comment_id
  FROM imported_comments i
 CROSS JOIN LATERAL (
       SELECT pi.comment_id FROM imported_comments pi
        WHERE pi.site_id = i.site_id AND pi.source = i.source
          AND pi.source_id = i.parent_source_id OFFSET 0) pi
 CROSS JOIN LATERAL (
       SELECT p.comment_id, p.thread, p.created_at FROM comments p
        WHERE p.site_id = i.site_id AND p.comment_id = pi.comment_id OFFSET 0) p
 WHERE i.site_id = $1 AND i.source = $2 AND i.parent_source_id IS NOT NULL
   AND c.site_id = i.site_id AND c.comment_id = i.comment_id AND c.parent_id IS NULL
   AND p.thread = c.thread AND (p.created_at, p.comment_id) < (c.created_at, c.comment_id)"""

# Each imported reply's top-level ancestor, walked from the top-level comments down, each step
# a probe of the replies of the comments found in the step before.
SET_ROOTS = """
WITH RECURSIVE tree (source_id, comment_id, root_id) AS (
    SELECT i.source_id, i.comment_id, i.comment_id
      FROM imported_comments i
      JOIN comments c ON c.site_id = i.site_id AND c.comment_id = i.comment_id
     WHERE i.site_id = $1 AND i.source = $2 AND c.parent_id IS NULL
    UNION ALL
    SELECT i.source_id, i.comment_id, t.root_id
      FROM tree t
     CROSS JOIN LATERAL (
           SELECT i.source_id, i.comment_id FROM imported_comments i
            WHERE i.site_id = $1 AND i.source = $2 AND i.parent_source_id = t.source_id
           OFFSET 0) i
     CROSS JOIN LATERAL (
           SELECT c.parent_id FROM comments c
            WHERE c.site_id = $1 AND c.comment_id = i.comment_id OFFSET 0) c
     WHERE c.parent_id = t.comment_id
)
UPDATE comments c SET root_id = t.root_id
  FROM tree t
 WHERE c.site_id = $1 AND c.comment_id = t.comment_id AND t.comment_id <> t.root_id
   AND c.root_id IS DISTINCT FROM t.root_id"""

# Replies left top-level: their parent is not in the file (or in another thread, or newer).
COUNT_ORPHANS = """
SELECT count(*) FROM imported_comments i
  JOIN comments c ON c.site_id = i.site_id AND c.comment_id = i.comment_id
 WHERE i.site_id = $1 AND i.source = $2 AND i.parent_source_id IS NOT NULL
   AND c.parent_id IS NULL"""


async def store_people(conn, site_id: str, threads: Sequence[Thread],
                       comments: Sequence[Comment], known_commenters: Set[str]) -> None:
    """Creates a batch's new threads and commenters, committed before its comments: created on
    first sight as the live path does, and locked by no batch still in flight (a batch that
    fails later leaves them without comments until the import runs again).
    `known_commenters` are stored already (by earlier batches): not written again."""
    commenters = {c.commenter: c for c in comments if c.commenter not in known_commenters}
    if not threads and not commenters:
        return
    async with conn.transaction():
        await conn.execute(BULK)
        if threads:
            await conn.execute(UPSERT_THREADS, site_id, [t.slug for t in threads],
                               [t.url for t in threads], [t.title for t in threads],
                               [t.created_at for t in threads])
        if commenters:
            await conn.execute(INSERT_COMMENTERS, site_id, list(commenters),
                               [c.author_name for c in commenters.values()],
                               [c.author_email for c in commenters.values()],
                               [c.created_at for c in commenters.values()])


async def store_comments(conn, site_id: str, source: str, comments: Sequence[Comment],
                         text_hashes: Sequence[int | None]) -> int:
    """Stores a batch's comments in one transaction; returns how many were new."""
    if not comments:
        return 0
    async with conn.transaction():
        await conn.execute(BULK)
        return await conn.fetchval(
            INSERT_COMMENTS, site_id, source, [c.source_id for c in comments],
            [c.thread for c in comments], [c.parent_source_id for c in comments],
            [c.commenter for c in comments], [c.author_name for c in comments],
            [c.body for c in comments], [c.status for c in comments],
            [c.created_at for c in comments], list(text_hashes))


async def link_replies(conn, site_id: str, source: str) -> int:
    """Links every imported reply to its parent; returns how many stay top-level (orphans)."""
    async with conn.transaction():
        await conn.execute(BULK_DURABLE)
        # Once per import, over all of it: more than a request's command timeout on a big one.
        linked = await conn.execute(LINK_PARENTS, site_id, source, timeout=LONG_S)
        if linked != "UPDATE 0":  # replies stored before their parents: their trees change
            await conn.execute(SET_ROOTS, site_id, source, timeout=LONG_S)
        return await conn.fetchval(COUNT_ORPHANS, site_id, source, timeout=LONG_S)
