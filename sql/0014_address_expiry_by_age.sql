-- The address-expiry indexes (0008) lead with created_at: the cleanup finds the expired hashes by
-- age (moderation.queue.cleanup), and led by site_id they tied on cost with comments_by_ip and
-- ratings_by_ip for the rules' per-address counts and look-alikes whenever the table had no
-- statistics for its newest rows (an overload's backlog); the planner then walked every comment
-- of the window for each one judged, 4-5 ms per comment at 6,000 queued (docs/decisions/0011).
DROP INDEX comments_address_expiry;
CREATE INDEX comments_address_expiry ON comments (created_at, site_id) WHERE ip_hash IS NOT NULL;
DROP INDEX ratings_address_expiry;
CREATE INDEX ratings_address_expiry ON ratings (created_at, site_id) WHERE ip_hash IS NOT NULL;
