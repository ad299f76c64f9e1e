-- The review queue shows, for each listed item, how many of its commenter's comments are
-- approved, held, rejected... At 1M comments that count read every comment row of the listed
-- commenters from the heap (5 ms for 50 commenters, the one queue statement that grew with the
-- data). With the status in the index it is an index-only scan; the worker's look-ups by
-- commenter and time use the same key columns as before.
-- Migrations run in a transaction, so this rebuild locks `comments` until the build is done
-- (it grows with the table): apply it at a quiet hour (README, Operations).
DROP INDEX comments_by_commenter;
CREATE INDEX comments_by_commenter ON comments (site_id, commenter, created_at) INCLUDE (status);
