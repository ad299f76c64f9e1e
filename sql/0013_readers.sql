-- Readers come back (issue 15): closed threads, votes and "best", featured comments, and the
-- thread page listing removed top-level comments that keep approved replies.

-- NULL: the site's auto-close decides (sites.settings.auto_close_days after the thread's first
-- comment); true: closed by a moderator; false: reopened by a moderator, whatever the age.
ALTER TABLE threads ADD COLUMN closed boolean;

-- The Wilson lower bound of up / (up + down) at z = 1.28 (80 % one-sided), 0 without votes.
CREATE FUNCTION wilson_lower_bound(up integer, down integer) RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE RETURN
    CASE WHEN up + down = 0 THEN 0::float8 ELSE
        ((up::float8 / (up + down)) + 1.6384 / (2 * (up + down))
         - 1.28 * sqrt(((up::float8 / (up + down)) * (1 - up::float8 / (up + down))
                        + 1.6384 / (4 * (up + down))) / (up + down)))
        / (1 + 1.6384 / (up + down)) END;

-- Counted votes, kept exact by the statement that stores each vote (moderation.votes.store, under
-- the comment's row lock), so a read costs nothing more than the row; `best` orders sort=best.
-- featured_at: when a moderator featured the comment ("Editors' picks"); NULL when not featured.
ALTER TABLE comments ADD COLUMN votes_up integer NOT NULL DEFAULT 0 CHECK (votes_up >= 0),
                     ADD COLUMN votes_down integer NOT NULL DEFAULT 0 CHECK (votes_down >= 0),
                     ADD COLUMN best float8 GENERATED ALWAYS AS
                         (wilson_lower_bound(votes_up, votes_down)) STORED,
                     ADD COLUMN featured_at timestamptz;

-- A page of a thread lists approved top-level comments and, as a placeholder, removed ones that
-- still have approved replies: the page indexes hold every top-level comment.
DROP INDEX comments_thread_page;
CREATE INDEX comments_thread_page ON comments (site_id, thread, created_at, comment_id)
    WHERE parent_id IS NULL;
CREATE INDEX comments_thread_best ON comments (site_id, thread, best, created_at, comment_id)
    WHERE parent_id IS NULL;
CREATE INDEX comments_featured ON comments (site_id, thread, featured_at)
    WHERE featured_at IS NOT NULL;

-- One vote per reader (account, else address) and comment. `counted`: a vote of a burst from one
-- address range on one comment is stored but not counted (moderation.votes.store).
CREATE TABLE votes (
    site_id    text NOT NULL,
    comment_id bigint NOT NULL,
    voter      text NOT NULL,
    value      smallint NOT NULL CHECK (value IN (-1, 1)),
    counted    boolean NOT NULL,
    range_hash bytea,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (site_id, comment_id, voter),
    FOREIGN KEY (site_id, comment_id) REFERENCES comments ON DELETE CASCADE
);
-- The vote-flood rule's count: recent votes on one comment from one address range.
CREATE INDEX votes_by_range ON votes (site_id, comment_id, range_hash, created_at);

-- Reply notifications by email (moderation.mail). An address is confirmed once per site (double
-- opt-in); one-click unsubscribing stops every reply email of that site to it.
CREATE TABLE email_addresses (
    site_id         text NOT NULL REFERENCES sites ON DELETE CASCADE,
    email           text NOT NULL,        -- lower case
    status          text NOT NULL CHECK (status IN ('unconfirmed', 'confirmed', 'unsubscribed')),
    confirm_sent_at timestamptz,
    changed_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (site_id, email)
);

-- "Email me replies" on one comment.
CREATE TABLE reply_subscriptions (
    site_id    text NOT NULL,
    comment_id bigint NOT NULL,
    email      text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (site_id, comment_id),
    FOREIGN KEY (site_id, comment_id) REFERENCES comments ON DELETE CASCADE
);

-- Emails to send, each with an 'email' job of the durable queue (retries, backoff, dead); the
-- message is composed when it is sent. A reply is announced once to each subscriber, however
-- often it is approved again (an edit, a review).
CREATE TABLE outbox (
    site_id    text NOT NULL REFERENCES sites ON DELETE CASCADE,
    outbox_id  bigint GENERATED ALWAYS AS IDENTITY,
    kind       text NOT NULL CHECK (kind IN ('confirm', 'reply', 'digest')),
    recipient  text NOT NULL,
    comment_id bigint,                    -- the reply, for 'reply'
    created_at timestamptz NOT NULL DEFAULT now(),
    sent_at    timestamptz,
    PRIMARY KEY (site_id, outbox_id)
);
CREATE UNIQUE INDEX outbox_one_per_reply ON outbox (site_id, comment_id, recipient)
    WHERE kind = 'reply';
-- The digest's "since the last one".
CREATE INDEX outbox_digests ON outbox (site_id, created_at) WHERE kind = 'digest';

ALTER TABLE jobs DROP CONSTRAINT jobs_kind_check,
                 ADD CONSTRAINT jobs_kind_check CHECK (kind IN ('comment', 'rating', 'webhook', 'email'));

-- A reply published (by the rules, a moderator or an import) queues one email to each confirmed
-- subscriber of the comment it answers, unless they answered themselves; NOTIFY wakes a worker.
CREATE FUNCTION queue_reply_emails() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    queued integer;
BEGIN
    WITH wanted AS (
        SELECT s.email FROM reply_subscriptions s
          JOIN email_addresses a ON a.site_id = s.site_id AND a.email = s.email
          JOIN comments parent ON parent.site_id = s.site_id AND parent.comment_id = s.comment_id
         WHERE s.site_id = NEW.site_id AND s.comment_id = NEW.parent_id
           AND a.status = 'confirmed' AND parent.commenter <> NEW.commenter
    ), mail AS (
        INSERT INTO outbox (site_id, kind, recipient, comment_id)
        SELECT NEW.site_id, 'reply', email, NEW.comment_id FROM wanted
        ON CONFLICT (site_id, comment_id, recipient) WHERE kind = 'reply' DO NOTHING
        RETURNING site_id, outbox_id
    ), job AS (
        INSERT INTO jobs (site_id, kind, item_id, item_version)
        SELECT site_id, 'email', outbox_id, 1 FROM mail
        RETURNING 1
    )
    SELECT count(*) INTO queued FROM job;
    IF queued > 0 THEN
        PERFORM pg_notify('moderation_jobs', 'reply-email');
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER comments_reply_emails_update AFTER UPDATE OF status ON comments
    FOR EACH ROW WHEN (NEW.status = 'approved' AND OLD.status IS DISTINCT FROM 'approved'
                       AND NEW.parent_id IS NOT NULL)
    EXECUTE FUNCTION queue_reply_emails();
CREATE TRIGGER comments_reply_emails_insert AFTER INSERT ON comments
    FOR EACH ROW WHEN (NEW.status = 'approved' AND NEW.parent_id IS NOT NULL)
    EXECUTE FUNCTION queue_reply_emails();

-- Live threads (moderation.live): what changed in a thread that readers see, kept a day for
-- Last-Event-ID resumes, and sent with NOTIFY to every API process at commit (in chunks under
-- NOTIFY's 8000-byte limit), which passes them to its subscribers of that thread.
CREATE TABLE thread_events (
    site_id    text NOT NULL,
    thread     text NOT NULL,
    event_id   bigint GENERATED ALWAYS AS IDENTITY,
    type       text NOT NULL,
    data       jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (site_id, thread, event_id)
);
CREATE INDEX thread_events_age ON thread_events (site_id, created_at);

-- One statement's changes at once: a batch of decisions costs one INSERT and a NOTIFY or two.
-- An edited comment is pending until checked again (no event), then 'comment.edited'.
CREATE FUNCTION publish_thread_events() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    sent integer;
BEGIN
    WITH changes AS (
        SELECT n.site_id, n.thread, CASE
                   WHEN n.status = 'approved' AND o.status <> 'approved' THEN
                       CASE WHEN n.edited_at IS NOT NULL THEN 'comment.edited'
                            ELSE 'comment.published' END
                   WHEN o.status = 'approved' AND n.status IN ('held', 'rejected', 'deleted')
                       THEN 'comment.removed'
                   WHEN n.status = 'approved' AND (n.votes_up, n.votes_down)
                        IS DISTINCT FROM (o.votes_up, o.votes_down) THEN 'votes'
               END AS type,
               jsonb_build_object('id', n.comment_id::text, 'parent_id', n.parent_id::text,
                                  'votes', jsonb_build_object('up', n.votes_up,
                                                              'down', n.votes_down)) AS data
          FROM new_rows n JOIN old_rows o ON o.site_id = n.site_id AND o.comment_id = n.comment_id
    ), stored AS (
        INSERT INTO thread_events (site_id, thread, type, data)
        SELECT site_id, thread, type, data FROM changes WHERE type IS NOT NULL
        RETURNING site_id, thread, event_id, type, data
    ), chunks AS (
        SELECT part, jsonb_agg(jsonb_build_object('site', site_id, 'thread', thread, 'id', event_id,
                                                  'type', type, 'data', data)
                               ORDER BY event_id)::text AS payload
          FROM (SELECT *, (row_number() OVER (ORDER BY event_id) - 1) / 15 AS part
                  FROM stored) s
         GROUP BY part
    )
    -- In id order: a client may take the first event it hears as where to resume from.
    SELECT count(pg_notify('moderation_thread_events', payload)) INTO sent
      FROM (SELECT payload FROM chunks ORDER BY part) ordered;
    RETURN NULL;
END $$;

CREATE TRIGGER comments_thread_events AFTER UPDATE ON comments
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION publish_thread_events();

-- The moderators' page's waiting count, live: a statement that touches held comments or ratings
-- NOTIFYs their sites, and each API process recounts for its open moderators' streams.
CREATE FUNCTION publish_queue_changes() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    sent integer;
BEGIN
    SELECT count(pg_notify('moderation_queue_events', site_id)) INTO sent
      FROM (SELECT DISTINCT site_id FROM (
                SELECT site_id, status FROM new_rows UNION ALL SELECT site_id, status FROM old_rows
            ) r WHERE status = 'held') s;
    RETURN NULL;
END $$;

CREATE TRIGGER comments_queue_events AFTER UPDATE ON comments
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION publish_queue_changes();
CREATE TRIGGER ratings_queue_events AFTER UPDATE ON ratings
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION publish_queue_changes();

-- The author's rating in the same streams: its events are stored under the thread key
-- '@' || author (no thread slug starts with '@'), for the streams that ask for that author.
CREATE FUNCTION publish_rating_events() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    sent integer;
BEGIN
    WITH stored AS (
        INSERT INTO thread_events (site_id, thread, type, data)
        SELECT site_id, '@' || author, 'rating',
               jsonb_build_object('author', author, 'count', count, 'average',
                                  CASE WHEN count > 0 THEN round(sum::numeric / count, 2) END)
          FROM new_rows
        RETURNING site_id, thread, event_id, type, data
    ), chunks AS (
        SELECT part, jsonb_agg(jsonb_build_object('site', site_id, 'thread', thread, 'id', event_id,
                                                  'type', type, 'data', data)
                               ORDER BY event_id)::text AS payload
          FROM (SELECT *, (row_number() OVER (ORDER BY event_id) - 1) / 15 AS part
                  FROM stored) s
         GROUP BY part
    )
    -- In id order: a client may take the first event it hears as where to resume from.
    SELECT count(pg_notify('moderation_thread_events', payload)) INTO sent
      FROM (SELECT payload FROM chunks ORDER BY part) ordered;
    RETURN NULL;
END $$;

CREATE TRIGGER author_ratings_events_insert AFTER INSERT ON author_ratings
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION publish_rating_events();
CREATE TRIGGER author_ratings_events_update AFTER UPDATE ON author_ratings
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION publish_rating_events();

-- Appeals wait for moderators too (sql/0012): held when made, decided by an UPDATE.
CREATE FUNCTION publish_queue_inserts() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    sent integer;
BEGIN
    SELECT count(pg_notify('moderation_queue_events', site_id)) INTO sent
      FROM (SELECT DISTINCT site_id FROM new_rows WHERE status = 'held') s;
    RETURN NULL;
END $$;

CREATE TRIGGER appeals_queue_events_insert AFTER INSERT ON appeals
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION publish_queue_inserts();
CREATE TRIGGER appeals_queue_events AFTER UPDATE ON appeals
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION publish_queue_changes();
