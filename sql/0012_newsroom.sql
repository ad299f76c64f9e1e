-- The newsroom's desk (issue 17): tokens listed and revoked by id, the policy behind each
-- rejection, appeals, and looking commenters up by name or email.

-- Admins list and revoke tokens by id; the hash stays the key the API looks a token up by.
ALTER TABLE tokens ADD COLUMN token_id bigint GENERATED ALWAYS AS IDENTITY;
CREATE UNIQUE INDEX tokens_by_id ON tokens (site_id, token_id);

-- The site's rejection reason a moderator picked (moderation.appeals.reasons); NULL for the
-- rules, whose policy follows from the rule that rejected.
ALTER TABLE audit ADD COLUMN reason_code text;
ALTER TABLE audit DROP CONSTRAINT audit_kind_check,
                  ADD CONSTRAINT audit_kind_check
                      CHECK (kind IN ('comment', 'rating', 'commenter', 'appeal'));
-- The audit filtered by who decided, newest first.
CREATE INDEX audit_by_actor ON audit (site_id, actor, audit_id);

-- One appeal per rejected comment, with the author's note: a review item of its own kind
-- (moderation.queue.kinds.appeal), in the queue's words: held while it waits, approved when the
-- comment is reinstated, rejected when the rejection is upheld.
CREATE TABLE appeals (
    site_id     text NOT NULL,
    appeal_id   bigint GENERATED ALWAYS AS IDENTITY,
    comment_id  bigint NOT NULL,
    commenter   text NOT NULL,            -- the comment's author
    note        text NOT NULL,
    status      text NOT NULL DEFAULT 'held' CHECK (status IN ('held', 'approved', 'rejected')),
    rejected_by text NOT NULL,            -- 'rules' or 'moderator:<label>': who may not decide it
    version     integer NOT NULL DEFAULT 1,  -- an appeal is never edited; the queue reads it
    revision    integer NOT NULL DEFAULT 1,
    priority    real NOT NULL DEFAULT 0,
    created_at  timestamptz NOT NULL DEFAULT now(),
    decided_at  timestamptz,
    PRIMARY KEY (site_id, appeal_id),
    UNIQUE (site_id, comment_id),
    FOREIGN KEY (site_id, comment_id) REFERENCES comments ON DELETE CASCADE
);
CREATE INDEX appeals_review ON appeals (site_id, status, created_at, appeal_id);
CREATE INDEX appeals_by_commenter ON appeals (site_id, commenter);

-- A moderator may claim an appeal like any item.
ALTER TABLE claims DROP CONSTRAINT claims_kind_check,
                   ADD CONSTRAINT claims_kind_check CHECK (kind IN ('comment', 'rating', 'appeal'));

-- Admins find a commenter by the start of their name or by their email.
CREATE INDEX commenters_by_name ON commenters (site_id, lower(name) text_pattern_ops);
CREATE INDEX commenters_by_email ON commenters (site_id, lower(email)) WHERE email IS NOT NULL;
