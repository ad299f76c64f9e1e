-- Author ratings: one row per rating, exact aggregates per author and per site kept by trigger,
-- and the site's SSO secret for verified commenters and raters.

ALTER TABLE sites ADD COLUMN sso_secret text;  -- HS256 key shared with the site's login

-- No foreign key to sites: its check would share-lock the site's row on every rating (the API
-- has already found the site).
CREATE TABLE ratings (
    site_id    text NOT NULL,
    rating_id  bigint GENERATED ALWAYS AS IDENTITY,
    author     text NOT NULL,
    rater      text NOT NULL,             -- 'sso:<subject>' or 'anon:<keyed hash>'
    score      smallint NOT NULL CHECK (score BETWEEN 1 AND 5),
    status     text NOT NULL DEFAULT 'pending'
               CHECK (status IN ('pending', 'approved', 'held', 'rejected', 'replaced', 'deleted')),
    version    integer NOT NULL DEFAULT 1,
    ip_hash    bytea,
    verified   boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    decided_at timestamptz,
    PRIMARY KEY (site_id, rating_id)
);

-- One rating per rater and author counts: a newer approved rating replaces the older one.
CREATE UNIQUE INDEX ratings_one_per_rater ON ratings (site_id, author, rater)
    WHERE status = 'approved';
-- History for the rules: an author's recent ratings (brigading), a rater's and an IP's (flood).
CREATE INDEX ratings_by_author ON ratings (site_id, author, created_at);
CREATE INDEX ratings_by_rater ON ratings (site_id, rater, created_at);
CREATE INDEX ratings_by_ip ON ratings (site_id, ip_hash, created_at) WHERE ip_hash IS NOT NULL;

-- What a rating read costs: this one row. Only approved ratings are counted.
CREATE TABLE author_ratings (
    site_id    text NOT NULL REFERENCES sites ON DELETE CASCADE,
    author     text NOT NULL,
    count      integer NOT NULL DEFAULT 0 CHECK (count >= 0),
    sum        bigint NOT NULL DEFAULT 0 CHECK (sum >= 0),
    h1         integer NOT NULL DEFAULT 0 CHECK (h1 >= 0),
    h2         integer NOT NULL DEFAULT 0 CHECK (h2 >= 0),
    h3         integer NOT NULL DEFAULT 0 CHECK (h3 >= 0),
    h4         integer NOT NULL DEFAULT 0 CHECK (h4 >= 0),
    h5         integer NOT NULL DEFAULT 0 CHECK (h5 >= 0),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (site_id, author),
    CHECK (count = h1 + h2 + h3 + h4 + h5),
    CHECK (sum = h1 + 2 * h2 + 3 * h3 + 4 * h4 + 5 * h5)
);

-- The site's totals: the prior of the bayesian average, and the row every change of a rating's
-- status locks first, so concurrent deciders of one site never deadlock on author rows.
CREATE TABLE site_rating_totals (
    site_id text PRIMARY KEY REFERENCES sites ON DELETE CASCADE,
    count   bigint NOT NULL DEFAULT 0 CHECK (count >= 0),
    sum     bigint NOT NULL DEFAULT 0 CHECK (sum >= 0)
);

-- Moves one score into (+1) or out of (-1) the author's and the site's aggregates.
CREATE FUNCTION add_approved_rating(p_site text, p_author text, p_score smallint, p_sign integer)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF p_sign > 0 THEN
        INSERT INTO author_ratings AS a (site_id, author, count, sum, h1, h2, h3, h4, h5)
        VALUES (p_site, p_author, 1, p_score, (p_score = 1)::int, (p_score = 2)::int,
                (p_score = 3)::int, (p_score = 4)::int, (p_score = 5)::int)
        ON CONFLICT (site_id, author) DO UPDATE
           SET count = a.count + 1, sum = a.sum + p_score,
               h1 = a.h1 + (p_score = 1)::int, h2 = a.h2 + (p_score = 2)::int,
               h3 = a.h3 + (p_score = 3)::int, h4 = a.h4 + (p_score = 4)::int,
               h5 = a.h5 + (p_score = 5)::int, updated_at = now();
        INSERT INTO site_rating_totals AS t (site_id, count, sum) VALUES (p_site, 1, p_score)
        ON CONFLICT (site_id) DO UPDATE SET count = t.count + 1, sum = t.sum + p_score;
    ELSE
        UPDATE author_ratings
           SET count = count - 1, sum = sum - p_score,
               h1 = h1 - (p_score = 1)::int, h2 = h2 - (p_score = 2)::int,
               h3 = h3 - (p_score = 3)::int, h4 = h4 - (p_score = 4)::int,
               h5 = h5 - (p_score = 5)::int, updated_at = now()
         WHERE site_id = p_site AND author = p_author;
        UPDATE site_rating_totals SET count = count - 1, sum = sum - p_score
         WHERE site_id = p_site;
    END IF;
END $$;

-- Keeps the aggregates exact for every change of an approved rating, whoever makes it.
CREATE FUNCTION count_approved_ratings() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status = 'approved' THEN
        PERFORM add_approved_rating(OLD.site_id, OLD.author, OLD.score, -1);
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.status = 'approved' THEN
        PERFORM add_approved_rating(NEW.site_id, NEW.author, NEW.score, 1);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER ratings_count_insert AFTER INSERT ON ratings
    FOR EACH ROW WHEN (NEW.status = 'approved') EXECUTE FUNCTION count_approved_ratings();
CREATE TRIGGER ratings_count_update AFTER UPDATE OF status, score, author ON ratings
    FOR EACH ROW WHEN ((OLD.status IS DISTINCT FROM NEW.status OR OLD.score <> NEW.score
                        OR OLD.author <> NEW.author)
                       AND 'approved' IN (OLD.status, NEW.status))
    EXECUTE FUNCTION count_approved_ratings();
CREATE TRIGGER ratings_count_delete AFTER DELETE ON ratings
    FOR EACH ROW WHEN (OLD.status = 'approved') EXECUTE FUNCTION count_approved_ratings();
