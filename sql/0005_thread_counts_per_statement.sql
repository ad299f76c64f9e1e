-- threads.approved_count kept by one trigger call per UPDATE statement instead of one per row.
-- The rule workers decide a batch of comments in one statement; the row trigger ran an UPDATE of
-- `threads` for every approved comment (about half the cost of the decision's UPDATE) and took
-- the threads' row locks in the order the comments happened to be updated, so two workers
-- deciding comments of the same threads could deadlock. Now each thread's net change is added
-- once, after its row is locked in key order. INSERT and DELETE keep their row triggers (an
-- approved comment is rarely inserted or deleted).

CREATE FUNCTION count_approved_comment_changes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM threads t
      JOIN (SELECT site_id, thread FROM new_rows WHERE status = 'approved'
            UNION
            SELECT site_id, thread FROM old_rows WHERE status = 'approved') c
        ON t.site_id = c.site_id AND t.thread = c.thread
     ORDER BY t.site_id, t.thread
       FOR UPDATE OF t;
    UPDATE threads t SET approved_count = t.approved_count + c.delta
      FROM (SELECT site_id, thread, sum(delta) AS delta
              FROM (SELECT site_id, thread, 1 AS delta FROM new_rows WHERE status = 'approved'
                    UNION ALL
                    SELECT site_id, thread, -1 FROM old_rows WHERE status = 'approved') d
             GROUP BY site_id, thread
            HAVING sum(delta) <> 0) c
     WHERE t.site_id = c.site_id AND t.thread = c.thread;
    RETURN NULL;
END $$;

DROP TRIGGER comments_count_update ON comments;
CREATE TRIGGER comments_count_update AFTER UPDATE ON comments
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION count_approved_comment_changes();
