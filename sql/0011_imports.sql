-- Imports (issue 16): the source ids of imported comments, so an import run twice stores nothing
-- twice and one that stopped half-way finishes when run again (moderation.imports).

CREATE TABLE imported_comments (
    site_id          text NOT NULL,
    source           text NOT NULL CHECK (source IN ('disqus', 'wordpress', 'isso', 'remark42')),
    source_id        text NOT NULL,
    comment_id       bigint NOT NULL,
    -- The reply's parent in the source; it becomes comments.parent_id when the import finishes
    -- (a parent may come later in the file).
    parent_source_id text,
    PRIMARY KEY (site_id, source, source_id)
);
-- Threading an import: each comment's replies, found from the top-level comments down.
CREATE INDEX imported_comments_replies ON imported_comments (site_id, source, parent_source_id)
    WHERE parent_source_id IS NOT NULL;

-- Imports write history in bulk with moderation.bulk_import set: they add each thread's approved
-- comments to its count in one statement per batch, instead of this row trigger's UPDATE per
-- comment (tens of thousands of updates of one thread row in a transaction), and raise no
-- webhook events (sql/0010_webhooks.sql).
CREATE OR REPLACE FUNCTION count_approved_comments() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('moderation.bulk_import', true) = 'on' THEN
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status = 'approved' THEN
        UPDATE threads SET approved_count = approved_count - 1
         WHERE site_id = OLD.site_id AND thread = OLD.thread;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.status = 'approved' THEN
        UPDATE threads SET approved_count = approved_count + 1
         WHERE site_id = NEW.site_id AND thread = NEW.thread;
    END IF;
    RETURN NULL;
END $$;
