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

-- The rule queue is claimed in turns between sites (moderation.queue.jobs.CLAIM): the sites with
-- queued jobs are found one index probe each, and each site's oldest claimable jobs by a short
-- range scan. The index leads with site_id, as every index does.
DROP INDEX jobs_claimable;
CREATE INDEX jobs_claimable ON jobs (site_id, available_at) WHERE status IN ('queued', 'running');

-- A ban on an anonymous commenter (or rater) also holds the address hashes they wrote from, for
-- the ban's duration: a new display name from the same address is the same person
-- (moderation.review.commenters.ban; the commenter and banned_rater rules read it).
CREATE TABLE address_bans (
    site_id      text NOT NULL REFERENCES sites ON DELETE CASCADE,
    address_hash bytea NOT NULL,
    commenter    text NOT NULL,           -- whose ban holds the address
    banned_until timestamptz NOT NULL,
    reason       text NOT NULL DEFAULT '',
    PRIMARY KEY (site_id, address_hash, commenter)
);
CREATE INDEX address_bans_by_commenter ON address_bans (site_id, commenter);

-- Allowed origins are origins (scheme, host, port: moderation.sites.settings.ORIGIN); anything
-- else stored before (`null`, `*`, a path or a trailing slash) allowed nothing a browser sends,
-- or far too much, and is dropped; the rest is lower-cased as browsers send it.
UPDATE sites SET settings = jsonb_set(settings, '{allowed_origins}', coalesce((
           SELECT jsonb_agg(DISTINCT lower(btrim(o)))
             FROM jsonb_array_elements_text(settings->'allowed_origins') AS o
            WHERE lower(btrim(o)) ~ ('^https?://(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?'
                                     '(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*'
                                     '|\[[0-9a-f:.]+\])(?::[0-9]{1,5})?$')
              AND coalesce(substring(lower(btrim(o)) FROM ':([0-9]{1,5})$')::int, 1)
                  BETWEEN 1 AND 65535), '[]'::jsonb)),
       settings_version = settings_version + 1
 WHERE jsonb_typeof(settings->'allowed_origins') = 'array';

-- Address hashes expire (moderation.queue.cleanup): these hold only the rows that still carry
-- one, so finding the expired ones reads little.
CREATE INDEX comments_address_expiry ON comments (site_id, created_at) WHERE ip_hash IS NOT NULL;
CREATE INDEX ratings_address_expiry ON ratings (site_id, created_at) WHERE ip_hash IS NOT NULL;

-- A token's label is who holds it, and the audit names decisions by it: no two active tokens of a
-- site share one. Tokens created before without a label were labelled with their role; those
-- sharing a label get a number, oldest first ("moderator", "moderator-2", …).
WITH numbered AS (
    SELECT site_id, token_hash,
           row_number() OVER (PARTITION BY site_id, label ORDER BY created_at, token_hash) AS n
      FROM tokens WHERE revoked_at IS NULL
)
UPDATE tokens t SET label = t.label || '-' || n.n
  FROM numbered n
 WHERE t.site_id = n.site_id AND t.token_hash = n.token_hash AND n.n > 1;
CREATE UNIQUE INDEX tokens_label ON tokens (site_id, label) WHERE revoked_at IS NULL;
