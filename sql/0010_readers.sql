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
