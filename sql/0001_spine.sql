-- The spine: sites and their tokens, threads, commenters, comments, the rule job queue,
-- verdicts and the audit trail. Every table carries site_id and every key leads with it, so the
-- schema can be distributed by site_id (docs/scaling.md).

CREATE TABLE sites (
    site_id          text PRIMARY KEY CHECK (site_id ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
    name             text NOT NULL,
    settings         jsonb NOT NULL DEFAULT '{}',
    settings_version integer NOT NULL DEFAULT 1,
    created_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE tokens (
    site_id    text NOT NULL REFERENCES sites ON DELETE CASCADE,
    token_hash bytea NOT NULL,
    role       text NOT NULL CHECK (role IN ('admin', 'moderator')),
    label      text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz,
    PRIMARY KEY (site_id, token_hash)
);

CREATE TABLE threads (
    site_id        text NOT NULL REFERENCES sites ON DELETE CASCADE,
    thread         text NOT NULL,
    url            text,
    title          text,
    approved_count integer NOT NULL DEFAULT 0 CHECK (approved_count >= 0),
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (site_id, thread)
);

CREATE TABLE commenters (
    site_id      text NOT NULL REFERENCES sites ON DELETE CASCADE,
    commenter    text NOT NULL,           -- 'anon:<hash>' or 'sso:<subject>'
    name         text NOT NULL,
    email        text,
    verified     boolean NOT NULL DEFAULT false,
    banned_until timestamptz,             -- 'infinity' for a permanent ban
    ban_reason   text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (site_id, commenter)
);

CREATE TABLE comments (
    site_id         text NOT NULL,
    comment_id      bigint GENERATED ALWAYS AS IDENTITY,
    thread          text NOT NULL,
    parent_id       bigint,
    root_id         bigint,               -- the top-level ancestor; NULL for a top-level comment
    commenter       text NOT NULL,
    author_name     text NOT NULL,
    verified        boolean NOT NULL DEFAULT false,  -- posted with the site's SSO token
    body            text NOT NULL,
    status          text NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'approved', 'held', 'rejected', 'deleted')),
    version         integer NOT NULL DEFAULT 1,
    ip_hash         bytea,
    signals         jsonb,                -- honeypot field and form time, for the rules
    idempotency_key text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    edited_at       timestamptz,
    decided_at      timestamptz,
    PRIMARY KEY (site_id, comment_id)
    -- No foreign keys to threads and commenters: the accepting statement creates both rows, and
    -- a foreign key check would take a share lock on the thread's row for every comment, which
    -- made accepting a comment three times slower on a busy thread.
);

-- One page of a thread: approved top-level comments in either order.
CREATE INDEX comments_thread_page ON comments (site_id, thread, created_at, comment_id)
    WHERE status = 'approved' AND parent_id IS NULL;
-- The replies under a page's top-level comments.
CREATE INDEX comments_replies ON comments (site_id, root_id, created_at, comment_id)
    WHERE status = 'approved' AND root_id IS NOT NULL;
CREATE INDEX comments_by_commenter ON comments (site_id, commenter, created_at);
-- A retry is the same commenter sending the same key; another commenter's key is theirs alone.
CREATE UNIQUE INDEX comments_idempotency ON comments (site_id, commenter, idempotency_key)
    WHERE idempotency_key IS NOT NULL;

-- Keeps threads.approved_count exact for every status change, whoever makes it.
CREATE FUNCTION count_approved_comments() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
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

CREATE TRIGGER comments_count_insert AFTER INSERT ON comments
    FOR EACH ROW WHEN (NEW.status = 'approved') EXECUTE FUNCTION count_approved_comments();
CREATE TRIGGER comments_count_update AFTER UPDATE OF status ON comments
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status
                       AND 'approved' IN (OLD.status, NEW.status))
    EXECUTE FUNCTION count_approved_comments();
CREATE TRIGGER comments_count_delete AFTER DELETE ON comments
    FOR EACH ROW WHEN (OLD.status = 'approved') EXECUTE FUNCTION count_approved_comments();

-- The rule queue. A job is claimable when available_at has passed: for a queued job that is its
-- retry time, for a running one the end of its lease, so a crashed worker's jobs come back alone.
CREATE TABLE jobs (
    site_id      text NOT NULL,
    job_id       bigint GENERATED ALWAYS AS IDENTITY,
    kind         text NOT NULL CHECK (kind IN ('comment', 'rating')),
    item_id      bigint NOT NULL,
    item_version integer NOT NULL,
    status       text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'dead')),
    attempts     integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    available_at timestamptz NOT NULL DEFAULT now(),
    claimed_by   text,
    last_error   text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (site_id, job_id),
    CHECK (status <> 'running' OR claimed_by IS NOT NULL)
);

-- The claim reads across sites in time order; this partial index is the queue itself and stays
-- small because finished jobs are deleted in the transaction that applies their decision.
CREATE INDEX jobs_claimable ON jobs (available_at) WHERE status IN ('queued', 'running');
CREATE INDEX jobs_dead ON jobs (site_id, created_at) WHERE status = 'dead';

CREATE TABLE verdicts (
    site_id      text NOT NULL,
    kind         text NOT NULL CHECK (kind IN ('comment', 'rating')),
    item_id      bigint NOT NULL,
    item_version integer NOT NULL,
    rule         text NOT NULL,
    action       text NOT NULL CHECK (action IN ('allow', 'hold', 'reject')),
    score        real NOT NULL DEFAULT 0,
    reason       text NOT NULL DEFAULT '',
    details      jsonb,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (site_id, kind, item_id, item_version, rule)
);

CREATE TABLE audit (
    site_id     text NOT NULL,
    audit_id    bigint GENERATED ALWAYS AS IDENTITY,
    kind        text NOT NULL CHECK (kind IN ('comment', 'rating')),
    item_id     bigint NOT NULL,
    actor       text NOT NULL,            -- 'rules' or 'moderator:<token label>' or 'commenter'
    action      text NOT NULL,
    from_status text,
    to_status   text NOT NULL,
    reason      text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (site_id, audit_id)
);
CREATE INDEX audit_by_item ON audit (site_id, kind, item_id);
