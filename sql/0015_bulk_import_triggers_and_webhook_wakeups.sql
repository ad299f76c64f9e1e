-- Imports (issue 16) write history without a trigger call per row.

-- With moderation.bulk_import set (moderation.imports), the statement that stores a batch adds
-- the threads' counts and queues reply emails itself, once for the batch: these row triggers are
-- not even queued (a call per reply would plan its query again, under the import's
-- plan_cache_mode).
DROP TRIGGER comments_count_insert ON comments;
CREATE TRIGGER comments_count_insert AFTER INSERT ON comments
    FOR EACH ROW WHEN (NEW.status = 'approved'
                       AND current_setting('moderation.bulk_import', true) IS DISTINCT FROM 'on')
    EXECUTE FUNCTION count_approved_comments();

DROP TRIGGER comments_reply_emails_insert ON comments;
CREATE TRIGGER comments_reply_emails_insert AFTER INSERT ON comments
    FOR EACH ROW WHEN (NEW.status = 'approved' AND NEW.parent_id IS NOT NULL
                       AND current_setting('moderation.bulk_import', true) IS DISTINCT FROM 'on')
    EXECUTE FUNCTION queue_reply_emails();
