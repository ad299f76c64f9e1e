"""The SQL of imports: a batch of threads, commenters and comments in one transaction, and the
threading pass that links replies to their parents once every comment of the file is stored.

Every batch runs with moderation.bulk_import set (sql/0011_imports.sql, sql/0015): threads'
approved counts are added and reply emails queued once per batch by the statement that stores the
comments (no trigger call per row), and history raises no webhook events. Comments keep their
source ids in imported_comments: a comment seen before is not stored again.
"""

from __future__ import annotations

from collections.abc import Sequence, Set

from moderation.imports.records import Comment, Thread

# Also a fresh plan for every batch: after five batches PostgreSQL would keep a generic plan
# made for the empty site the import started with, 30 times slower once it holds rows. No merge
# joins: over a batch's CTEs (no statistics) the planner chose them for the recursive threading,
# sorting the whole batch again at every level of replies. Memory for a batch's hashes, which the
# planner (no statistics of CTEs) sizes for 25 times the batch: they spilled to disk.
BULK_DURABLE = ("SET LOCAL moderation.bulk_import = 'on'; "
                "SET LOCAL plan_cache_mode = force_custom_plan; SET LOCAL enable_mergejoin = off; "
                "SET LOCAL work_mem = '64MB'")
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

# PROBES: every row a statement here finds by key is found by an index probe: a LATERAL subquery
# (OFFSET 0 keeps it one) keyed by the outer row's columns, never by $1. A new site is not in the
# statistics, so a probe keyed by the constant site looks as cheap on any index that starts with
# site_id, and the planner took one that scans the whole site for each row. Joins to the table
# being updated use the found rows' columns the same way.

# The stored parent of `row` (an imported comment: site_id, source, parent_source_id, thread,
# created_at, comment_id), found by its source id with probes as PROBES says: only one in the
# same thread and older, so a loop in the source's data cannot become one here.
STORED_PARENT = """
     CROSS JOIN LATERAL (
           SELECT pi.comment_id FROM imported_comments pi
            WHERE pi.site_id = {row}.site_id AND pi.source = {row}.source
              AND pi.source_id = {row}.parent_source_id OFFSET 0) pi
     CROSS JOIN LATERAL (
           SELECT p.comment_id, p.root_id, p.thread, p.created_at FROM comments p
            WHERE p.site_id = {row}.site_id AND p.comment_id = pi.comment_id OFFSET 0) p
     WHERE p.thread = {row}.thread
       AND (p.created_at, p.comment_id) < ({row}.created_at, {row}.comment_id)"""

# CTEs over `stored` (the comments a statement inserted: site_id, comment_id, parent_id,
# commenter, status) that queue reply emails as sql/0013's queue_reply_emails does for each reply
# published elsewhere: one to each confirmed subscriber of the parent, unless they answered
# themselves. A parent inserted by the same statement has no subscribers yet. Probes as PROBES
# says, the parent's only for a subscribed one. WAKE_EMAIL_WORKERS is a column of the statement's
# result that NOTIFYs the workers when an email was queued.
REPLY_EMAILS = """reply_emails AS (
    INSERT INTO outbox (site_id, kind, recipient, comment_id)
    SELECT r.site_id, 'reply', s.email, r.comment_id
      FROM stored r
     CROSS JOIN LATERAL (
           SELECT s.comment_id, s.email FROM reply_subscriptions s
            WHERE s.site_id = r.site_id AND s.comment_id = r.parent_id OFFSET 0) s
     CROSS JOIN LATERAL (
           SELECT a.status FROM email_addresses a
            WHERE a.site_id = r.site_id AND a.email = s.email OFFSET 0) a
     CROSS JOIN LATERAL (
           SELECT p.commenter FROM comments p
            WHERE p.site_id = r.site_id AND p.comment_id = s.comment_id OFFSET 0) p
     WHERE r.status = 'approved' AND r.parent_id IS NOT NULL AND a.status = 'confirmed'
       AND p.commenter <> r.commenter
    ON CONFLICT (site_id, comment_id, recipient) WHERE kind = 'reply' DO NOTHING
    RETURNING site_id, outbox_id
), email_jobs AS (
    INSERT INTO jobs (site_id, kind, item_id, item_version)
    SELECT site_id, 'email', outbox_id, 1 FROM reply_emails
    RETURNING 1
)"""
WAKE_EMAIL_WORKERS = """(SELECT count(pg_notify('moderation_jobs', 'reply-email'))
          FROM (SELECT FROM email_jobs LIMIT 1) any_email)"""

# The comments not imported before: each candidate draws an id, and those whose source id is
# new keep theirs (the primary key of imported_comments decides, one index probe each, and two
# imports of one file at once cannot both store a comment); the others' ids go unused.
# A reply is stored with its parent and top-level ancestor when its parent is stored already
# (by an earlier batch) or comes in this batch (the recursive `tree`), in the same thread and
# older; any other reply is stored top-level for now, and LINK_PARENTS tries again once the whole
# file is stored (a parent later in the file). Each thread's count gains its new approved
# comments; comments sent through the rules ('pending') get their rule job; replies to
# subscribed comments their emails.
INSERT_COMMENTS = """
WITH RECURSIVE candidates AS MATERIALIZED (
    SELECT $1::text AS site_id, $2::text AS source, s.*,
           -- The sequence's name looked up once for the statement, not for every row.
           nextval((SELECT pg_get_serial_sequence('comments', 'comment_id'))::regclass) AS comment_id
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
    -- Parents from earlier batches, each found by index probes (PROBES).
    SELECT f.comment_id, p.comment_id AS parent_id, coalesce(p.root_id, p.comment_id) AS root_id
      FROM fresh f""" + STORED_PARENT.format(row="f") + """
       AND f.parent_source_id IS NOT NULL  -- only replies probe
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
    RETURNING site_id, comment_id, thread, parent_id, commenter, status, version
), changes AS MATERIALIZED (
    SELECT thread, count(*) AS approved FROM stored WHERE status = 'approved' GROUP BY thread
), rule_jobs AS (
    INSERT INTO jobs (site_id, kind, item_id, item_version)
    SELECT $1, 'comment', comment_id, version FROM stored WHERE status = 'pending'
), """ + REPLY_EMAILS + """
SELECT (SELECT count(*) FROM stored) AS stored,
       (SELECT array_agg(thread ORDER BY thread) FROM changes) AS threads,
       (SELECT array_agg(approved ORDER BY thread) FROM changes) AS approved,
       """ + WAKE_EMAIL_WORKERS + """ AS woken"""

# Each thread's count gains the batch's new approved comments ($2 the threads in key order, $3
# how many), in the batch's transaction, after COUNTS_TURN; probes as PROBES says. Locked in key
# order, as every writer of counts locks them (sql/0007): no deadlock with the rule workers.
ADD_COUNTS = """
WITH locked AS MATERIALIZED (
    SELECT t.site_id, t.thread, c.approved
      FROM (SELECT $1::text AS site_id, c.* FROM unnest($2::text[], $3::bigint[])
                   WITH ORDINALITY AS c(thread, approved, n)) c
     CROSS JOIN LATERAL (
           SELECT t.site_id, t.thread FROM threads t
            WHERE t.site_id = c.site_id AND t.thread = c.thread OFFSET 0 FOR UPDATE) t
     ORDER BY c.n
)
UPDATE threads t SET approved_count = t.approved_count + l.approved
  FROM locked l WHERE t.site_id = l.site_id AND t.thread = l.thread"""

# One batch of a site's imports at a time adds its counts, after the one before has committed: a
# row lock that waited for it would re-check the row over a copy of the batch statement's whole
# plan (EvalPlanQual, docs/decisions/0012). Taken last, so held only until the commit after it.
COUNTS_TURN = "SELECT pg_advisory_xact_lock(hashtext('moderation.imports.counts'), hashtext($1))"

# Replies whose parent is now stored (in the same thread, and older: a loop in the source's
# data cannot become a loop here) point at it; the others stay top-level (orphans: their parent
# is not in the file). Returns how many stay, and the replies linked. Index probes (PROBES).
LINK_PARENTS = """
WITH unlinked AS MATERIALIZED (
    SELECT c.site_id, c.comment_id, c.thread, c.created_at, i.source, i.source_id,
           i.parent_source_id
      FROM imported_comments i
     CROSS JOIN LATERAL (
           SELECT c.site_id, c.comment_id, c.thread, c.created_at FROM comments c
            WHERE c.site_id = i.site_id AND c.comment_id = i.comment_id
              AND c.parent_id IS NULL OFFSET 0) c
     WHERE i.site_id = $1 AND i.source = $2 AND i.parent_source_id IS NOT NULL
), links AS MATERIALIZED (
    SELECT u.site_id, u.comment_id, p.comment_id AS parent_id, u.source_id
      FROM unlinked u""" + STORED_PARENT.format(row="u") + """
), linked AS (
    UPDATE comments c SET parent_id = l.parent_id
      FROM links l
     WHERE c.site_id = l.site_id AND c.comment_id = l.comment_id AND c.parent_id IS NULL
    RETURNING c.comment_id, l.source_id
)
SELECT (SELECT count(*) FROM unlinked) - count(*) AS orphans,
       array_agg(comment_id) AS comment_ids, array_agg(source_id) AS source_ids
  FROM linked"""

# The top-level ancestor of the replies just linked ($3 their ids, $4 their source ids) and of
# every comment under them, which still point at the reply as their root: each linked reply's
# ancestors walked up (one key probe a step), then its subtree walked down from it (one probe of
# imported_comments_replies a step).
SET_ROOTS = """
WITH RECURSIVE linked AS MATERIALIZED (
    SELECT $1::text AS site_id, $2::text AS source, l.comment_id, l.source_id
      FROM unnest($3::bigint[], $4::text[]) l(comment_id, source_id)
), up (site_id, start_id, comment_id, parent_id, depth) AS (
    SELECT l.site_id, l.comment_id, l.comment_id, c.parent_id, 0
      FROM linked l
     CROSS JOIN LATERAL (
           SELECT c.parent_id FROM comments c
            WHERE c.site_id = l.site_id AND c.comment_id = l.comment_id OFFSET 0) c
    UNION ALL
    SELECT u.site_id, u.start_id, c.comment_id, c.parent_id, u.depth + 1
      FROM up u
     CROSS JOIN LATERAL (
           SELECT c.comment_id, c.parent_id FROM comments c
            WHERE c.site_id = u.site_id AND c.comment_id = u.parent_id OFFSET 0) c
     WHERE u.parent_id IS NOT NULL AND u.depth < 10000
), down (site_id, source, source_id, comment_id, root_id) AS (
    SELECT l.site_id, l.source, l.source_id, l.comment_id, top.comment_id
      FROM linked l JOIN up top ON top.start_id = l.comment_id AND top.parent_id IS NULL
    UNION
    SELECT d.site_id, d.source, i.source_id, i.comment_id, d.root_id
      FROM down d
     CROSS JOIN LATERAL (
           SELECT i.source_id, i.comment_id FROM imported_comments i
            WHERE i.site_id = d.site_id AND i.source = d.source
              AND i.parent_source_id = d.source_id OFFSET 0) i
     CROSS JOIN LATERAL (
           SELECT c.parent_id FROM comments c
            WHERE c.site_id = d.site_id AND c.comment_id = i.comment_id OFFSET 0) c
     WHERE c.parent_id = d.comment_id
), fixes AS MATERIALIZED (
    SELECT DISTINCT site_id, comment_id, root_id FROM down
)
UPDATE comments c SET root_id = f.root_id
  FROM fixes f
 WHERE c.site_id = f.site_id AND c.comment_id = f.comment_id
   AND c.root_id IS DISTINCT FROM f.root_id"""


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
        result = await conn.fetchrow(
            INSERT_COMMENTS, site_id, source, [c.source_id for c in comments],
            [c.thread for c in comments], [c.parent_source_id for c in comments],
            [c.commenter for c in comments], [c.author_name for c in comments],
            [c.body for c in comments], [c.status for c in comments],
            [c.created_at for c in comments], list(text_hashes))
        if result["threads"]:
            await conn.execute(COUNTS_TURN, site_id)
            await conn.execute(ADD_COUNTS, site_id, result["threads"], result["approved"])
        return result["stored"]


async def link_replies(conn, site_id: str, source: str) -> int:
    """Links every imported reply to its parent; returns how many stay top-level (orphans)."""
    # Statistics that know the import: planned on those of its first minute (autovacuum analyzes
    # later, if at all), a probe could walk a whole index of the site per reply. On its own, so
    # its table lock is not held through the link below.
    await conn.execute("ANALYZE imported_comments, comments", timeout=LONG_S)
    async with conn.transaction():
        await conn.execute(BULK_DURABLE)
        # Once per import, over all of it: more than a request's command timeout on a big one.
        result = await conn.fetchrow(LINK_PARENTS, site_id, source, timeout=LONG_S)
        if result["comment_ids"]:  # replies stored before their parents: their trees change
            await conn.execute(SET_ROOTS, site_id, source, result["comment_ids"],
                               result["source_ids"], timeout=LONG_S)
        return result["orphans"]
