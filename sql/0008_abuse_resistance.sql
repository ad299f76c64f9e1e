-- Abuse resistance (issue 14): shared rate-limit counters.

-- Rate limits of public writes (moderation.web.rate_limits): one row per site, write, client
-- address hash ('' for the whole site) and fixed window. UNLOGGED: counting writes no WAL and
-- waits for no flush; a crash only forgets the current windows. Old windows are deleted by the
-- periodic cleanup (moderation.queue.cleanup).
CREATE UNLOGGED TABLE rate_counts (
    site_id      text NOT NULL,
    action       text NOT NULL,
    address_hash bytea NOT NULL,
    window_start timestamptz NOT NULL,
    count        integer NOT NULL CHECK (count > 0),
    PRIMARY KEY (site_id, action, address_hash, window_start)
);
