-- comments.best becomes a plain column that the vote count statement sets (moderation.votes.store)
-- instead of a generated one: PostgreSQL parses and plans a stored generated column's expression
-- anew for every INSERT statement, which was about a tenth of PostgreSQL's work per batch of
-- accepted comments (docs/decisions/0010). Votes are the only writer of votes_up and votes_down.
ALTER TABLE comments ALTER COLUMN best DROP EXPRESSION;
ALTER TABLE comments ALTER COLUMN best SET DEFAULT 0;
ALTER TABLE comments ALTER COLUMN best SET NOT NULL;
