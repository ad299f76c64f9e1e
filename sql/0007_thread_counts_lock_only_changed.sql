-- The statement-level count trigger of 0005 runs after every UPDATE of `comments` (transition
-- tables rule out `UPDATE OF status`), and it locked the thread of every approved row updated,
-- even when the count did not change: a report raising an approved comment's priority held its
-- thread until commit, and the rule workers deciding that thread's comments waited for it. Now
-- only the threads whose count changes are locked (still in key order, so two workers cannot
-- deadlock), and the change is computed once.

CREATE OR REPLACE FUNCTION count_approved_comment_changes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    WITH changes AS MATERIALIZED (
        SELECT site_id, thread, sum(delta) AS delta
          FROM (SELECT site_id, thread, 1 AS delta FROM new_rows WHERE status = 'approved'
                UNION ALL
                SELECT site_id, thread, -1 FROM old_rows WHERE status = 'approved') d
         GROUP BY site_id, thread
        HAVING sum(delta) <> 0
    ), locked AS MATERIALIZED (
        SELECT t.site_id, t.thread, c.delta
          FROM threads t JOIN changes c ON t.site_id = c.site_id AND t.thread = c.thread
         ORDER BY t.site_id, t.thread
           FOR UPDATE OF t
    )
    UPDATE threads t SET approved_count = t.approved_count + l.delta
      FROM locked l
     WHERE t.site_id = l.site_id AND t.thread = l.thread;
    RETURN NULL;
END $$;
