-- Webhooks (issue 16): the endpoints a site's admins register, one delivery per event and
-- endpoint, and a job kind of its own in the durable queue (moderation.webhooks).

CREATE TABLE webhooks (
    site_id         text NOT NULL REFERENCES sites ON DELETE CASCADE,
    webhook_id      bigint GENERATED ALWAYS AS IDENTITY,
    url             text NOT NULL,
    events          text[] NOT NULL CHECK (cardinality(events) > 0),
    secret          text NOT NULL,
    -- The secret before the last rotation still signs every delivery until this time.
    previous_secret text,
    previous_until  timestamptz,
    -- Failed attempts since the last success; at WEBHOOK_PAUSE_AFTER the endpoint is paused.
    failures_in_row integer NOT NULL DEFAULT 0 CHECK (failures_in_row >= 0),
    paused_at       timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (site_id, webhook_id)
);

-- One event for one endpoint. Its payload is the exact JSON posted on every attempt; its id is
-- the X-Moderation-Delivery header, stable across retries. 'paused': waits for the endpoint to be
-- resumed (no job meanwhile).
CREATE TABLE webhook_deliveries (
    site_id         text NOT NULL,
    delivery_id     bigint GENERATED ALWAYS AS IDENTITY,
    webhook_id      bigint NOT NULL,
    event           text NOT NULL,
    payload         jsonb NOT NULL,
    status          text NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'failing', 'delivered', 'dead', 'paused')),
    attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    response_status integer,
    response_ms     integer,
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    attempted_at    timestamptz,
    PRIMARY KEY (site_id, delivery_id),
    FOREIGN KEY (site_id, webhook_id) REFERENCES webhooks ON DELETE CASCADE
);
-- An endpoint's recent deliveries, newest first; and its paused ones, for resuming.
CREATE INDEX webhook_deliveries_recent ON webhook_deliveries (site_id, webhook_id, delivery_id);
CREATE INDEX webhook_deliveries_paused ON webhook_deliveries (site_id, webhook_id)
    WHERE status = 'paused';
-- Settled deliveries past their retention, for the periodic cleanup.
CREATE INDEX webhook_deliveries_settled ON webhook_deliveries (site_id, created_at)
    WHERE status IN ('delivered', 'dead');

-- Deliveries are jobs of kind 'webhook' (item_id: the delivery). The rule workers never claim
-- them (their claim and its index leave them out); the webhook senders claim them by their own
-- index.
ALTER TABLE jobs DROP CONSTRAINT jobs_kind_check,
                 ADD CONSTRAINT jobs_kind_check CHECK (kind IN ('comment', 'rating', 'webhook'));
DROP INDEX jobs_claimable;
CREATE INDEX jobs_claimable ON jobs (site_id, available_at)
    WHERE status IN ('queued', 'running') AND kind <> 'webhook';
CREATE INDEX jobs_webhooks_due ON jobs (site_id, available_at)
    WHERE status IN ('queued', 'running') AND kind = 'webhook';

-- Records events (one site, type and data each) for every endpoint of their site that wants
-- them, with a job for each endpoint not paused. Called by the triggers below, so an event and
-- its deliveries commit together, whoever writes the change.
CREATE FUNCTION queue_webhook_events(p_sites text[], p_types text[], p_data jsonb[])
RETURNS void LANGUAGE sql AS $$
WITH events AS MATERIALIZED (
    SELECT e.site_id, e.type, e.data, gen_random_uuid() AS event_id
      FROM unnest(p_sites, p_types, p_data) AS e(site_id, type, data)
), deliveries AS (
    INSERT INTO webhook_deliveries (site_id, webhook_id, event, payload, status)
    SELECT e.site_id, w.webhook_id, e.type,
           jsonb_build_object('id', e.event_id, 'type', e.type, 'site', e.site_id,
                              'created_at', now(), 'data', e.data),
           CASE WHEN w.paused_at IS NULL THEN 'pending' ELSE 'paused' END
      FROM events e JOIN webhooks w ON w.site_id = e.site_id AND e.type = ANY (w.events)
    RETURNING site_id, delivery_id, status
)
INSERT INTO jobs (site_id, kind, item_id, item_version)
SELECT site_id, 'webhook', delivery_id, 1 FROM deliveries WHERE status = 'pending'
$$;

-- What a comment event carries: what the site would show, nothing private (no email, address).
CREATE FUNCTION webhook_comment(p_site text, p_id bigint, p_thread text, p_parent bigint,
                                p_status text, p_body text, p_name text, p_verified boolean,
                                p_created timestamptz, p_edited timestamptz)
RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
SELECT jsonb_build_object('id', p_id::text, 'thread', p_thread, 'parent_id', p_parent::text,
                          'status', p_status, 'body', p_body,
                          'author', jsonb_build_object('name', p_name, 'verified', p_verified),
                          'created_at', p_created, 'edited_at', p_edited)
$$;

-- Bulk writers of history (moderation.imports) set moderation.bulk_import: imported history
-- raises no events.
CREATE FUNCTION comment_webhook_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT FROM webhooks)
       OR current_setting('moderation.bulk_import', true) = 'on' THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        PERFORM queue_webhook_events(
                    array_agg(n.site_id), array_agg('comment.created'::text),
                    array_agg(jsonb_build_object('comment', webhook_comment(
                        n.site_id, n.comment_id, n.thread, n.parent_id, n.status, n.body,
                        n.author_name, n.verified, n.created_at, n.edited_at))))
           FROM new_rows n
          WHERE EXISTS (SELECT FROM webhooks w WHERE w.site_id = n.site_id);
    ELSE
        PERFORM queue_webhook_events(
                    array_agg(n.site_id), array_agg('comment.' || n.status),
                    array_agg(jsonb_build_object('comment', webhook_comment(
                        n.site_id, n.comment_id, n.thread, n.parent_id, n.status, n.body,
                        n.author_name, n.verified, n.created_at, n.edited_at),
                        'from_status', o.status)))
           FROM new_rows n JOIN old_rows o ON o.site_id = n.site_id AND o.comment_id = n.comment_id
          WHERE n.status IS DISTINCT FROM o.status AND n.status IN ('approved', 'held', 'rejected')
            AND EXISTS (SELECT FROM webhooks w WHERE w.site_id = n.site_id);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER comments_webhooks_insert AFTER INSERT ON comments
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION comment_webhook_events();
CREATE TRIGGER comments_webhooks_update AFTER UPDATE ON comments
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION comment_webhook_events();

CREATE FUNCTION report_webhook_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT FROM webhooks) THEN
        RETURN NULL;
    END IF;
    PERFORM queue_webhook_events(
                array_agg(c.site_id), array_agg('comment.reported'::text),
                array_agg(jsonb_build_object('comment', webhook_comment(
                    c.site_id, c.comment_id, c.thread, c.parent_id, c.status, c.body,
                    c.author_name, c.verified, c.created_at, c.edited_at),
                    'report', jsonb_build_object('reason', r.reason))))
       FROM new_rows r JOIN comments c ON c.site_id = r.site_id AND c.comment_id = r.comment_id
      WHERE EXISTS (SELECT FROM webhooks w WHERE w.site_id = r.site_id);
    RETURN NULL;
END $$;

CREATE TRIGGER reports_webhooks AFTER INSERT ON reports
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION report_webhook_events();

CREATE FUNCTION rating_webhook_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT FROM webhooks)
       OR current_setting('moderation.bulk_import', true) = 'on' THEN
        RETURN NULL;
    END IF;
    PERFORM queue_webhook_events(
                array_agg(n.site_id), array_agg('rating.approved'::text),
                array_agg(jsonb_build_object('rating', jsonb_build_object(
                    'id', n.rating_id::text, 'author', n.author, 'score', n.score,
                    'verified', n.verified, 'created_at', n.created_at))))
       FROM new_rows n JOIN old_rows o ON o.site_id = n.site_id AND o.rating_id = n.rating_id
      WHERE n.status = 'approved' AND o.status IS DISTINCT FROM 'approved'
        AND EXISTS (SELECT FROM webhooks w WHERE w.site_id = n.site_id);
    RETURN NULL;
END $$;

CREATE TRIGGER ratings_webhooks AFTER UPDATE ON ratings
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rating_webhook_events();
