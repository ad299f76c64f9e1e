-- What the spam and abuse rules need beyond the spine: the sites' word lists, text fingerprints
-- of comments (duplicate rule), an index for counting by IP (flood rule) and the per-site token
-- counts of the learned spam classifier. Every key and index leads with site_id.

-- A site without a row uses the default list of moderation/default_wordlists.py (version 0);
-- its first PUT stores version 1.
CREATE TABLE wordlists (
    site_id    text NOT NULL REFERENCES sites ON DELETE CASCADE,
    name       text NOT NULL CHECK (name IN ('banned', 'suspect')),
    words      text[] NOT NULL,
    version    integer NOT NULL CHECK (version >= 1),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (site_id, name)
);

-- Filled when a comment is stored or edited (moderation.fingerprint.text_hash): a 64-bit hash of
-- its normalized words, so "B.U.Y  ch3ap" and "buy cheap" are one text.
ALTER TABLE comments ADD COLUMN text_hash bigint;

-- The same text across threads, from anyone, in a time window.
CREATE INDEX comments_text_hash ON comments (site_id, text_hash, created_at)
    WHERE text_hash IS NOT NULL;
-- How many comments one IP sent in a time window.
CREATE INDEX comments_by_ip ON comments (site_id, ip_hash, created_at) WHERE ip_hash IS NOT NULL;

-- learned_spam: how often each token occurred in comments moderators rejected (spam) and
-- approved (ham), and how many of each they decided.
CREATE TABLE spam_tokens (
    site_id    text NOT NULL REFERENCES sites ON DELETE CASCADE,
    token      text NOT NULL,
    spam_count integer NOT NULL DEFAULT 0 CHECK (spam_count >= 0),
    ham_count  integer NOT NULL DEFAULT 0 CHECK (ham_count >= 0),
    PRIMARY KEY (site_id, token)
);

CREATE TABLE spam_totals (
    site_id    text PRIMARY KEY REFERENCES sites ON DELETE CASCADE,
    spam_count integer NOT NULL DEFAULT 0 CHECK (spam_count >= 0),
    ham_count  integer NOT NULL DEFAULT 0 CHECK (ham_count >= 0)
);
