-- The moderators' side: a revision per item (so a decision on a stale view is refused), a
-- priority for the review order, reader reports, and claims that expire by themselves.

ALTER TABLE comments ADD COLUMN revision integer NOT NULL DEFAULT 1,
                     ADD COLUMN priority real NOT NULL DEFAULT 0;
ALTER TABLE ratings ADD COLUMN revision integer NOT NULL DEFAULT 1,
                    ADD COLUMN priority real NOT NULL DEFAULT 0;

-- The review queue in both orders, for every status a moderator filters by.
CREATE INDEX comments_review ON comments (site_id, status, created_at, comment_id);
CREATE INDEX comments_review_priority ON comments (site_id, status, priority DESC, comment_id DESC)
    WHERE status IN ('held', 'pending');
CREATE INDEX ratings_review ON ratings (site_id, status, created_at, rating_id);
CREATE INDEX ratings_review_priority ON ratings (site_id, status, priority DESC, rating_id DESC)
    WHERE status IN ('held', 'pending');

-- One report per reader and comment; the count of distinct reporters is what sends a comment back.
CREATE TABLE reports (
    site_id    text NOT NULL,
    comment_id bigint NOT NULL,
    reporter   text NOT NULL,             -- 'sso:<subject>' or 'anon:<keyed hash>'
    reason     text NOT NULL CHECK (reason IN ('spam', 'abuse', 'off_topic', 'other')),
    note       text,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (site_id, comment_id, reporter),
    FOREIGN KEY (site_id, comment_id) REFERENCES comments ON DELETE CASCADE
);

-- A moderator who opened an item holds it for a few minutes; others' listings skip it.
CREATE TABLE claims (
    site_id    text NOT NULL,
    kind       text NOT NULL CHECK (kind IN ('comment', 'rating')),
    item_id    bigint NOT NULL,
    moderator  text NOT NULL,
    expires_at timestamptz NOT NULL,
    PRIMARY KEY (site_id, kind, item_id)
);

CREATE INDEX audit_by_time ON audit (site_id, created_at);
CREATE INDEX verdicts_by_rule ON verdicts (site_id, rule, created_at) WHERE action <> 'allow';

-- Bans and erasures are decisions about a person, not an item.
ALTER TABLE audit DROP CONSTRAINT audit_kind_check,
                  ADD CONSTRAINT audit_kind_check CHECK (kind IN ('comment', 'rating', 'commenter')),
                  ALTER COLUMN item_id DROP NOT NULL,
                  ADD COLUMN commenter text;
