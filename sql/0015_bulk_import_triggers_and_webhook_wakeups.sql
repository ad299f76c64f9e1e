-- Imports (issue 16) write history without a trigger call per row, and webhook senders are woken
-- by NOTIFY when a delivery is queued instead of polling for it.

-- With moderation.bulk_import set (moderation.imports), the statement that stores a batch adds
-- the threads' counts and queues reply emails itself, once for the batch: these row triggers are
-- not even queued (a call per reply would plan its query again, under the import's
-- plan_cache_mode).
DROP TRIGGER comments_count_insert ON comments;
CREATE TRIGGER comments_count_insert AFTER INSERT ON comments
    FOR EACH ROW WHEN (NEW.status = 'approved'
                       AND current_setting('moderation.bulk_import', true) IS DISTINCT FROM 'on')
    EXECUTE FUNCTION count_approved_comments();

DROP TRIGGER comments_reply_emails_insert ON comments;
CREATE TRIGGER comments_reply_emails_insert AFTER INSERT ON comments
    FOR EACH ROW WHEN (NEW.status = 'approved' AND NEW.parent_id IS NOT NULL
                       AND current_setting('moderation.bulk_import', true) IS DISTINCT FROM 'on')
    EXECUTE FUNCTION queue_reply_emails();

-- As sql/0010_webhooks.sql, and a NOTIFY on moderation_webhooks (sent at commit, once per
-- transaction however many events) when a delivery job was queued: it wakes the senders.
CREATE OR REPLACE FUNCTION queue_webhook_events(p_sites text[], p_types text[], p_data jsonb[])
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
), queued AS (
    INSERT INTO jobs (site_id, kind, item_id, item_version)
    SELECT site_id, 'webhook', delivery_id, 1 FROM deliveries WHERE status = 'pending'
    RETURNING 1
)
SELECT pg_notify('moderation_webhooks', '') FROM (SELECT FROM queued LIMIT 1) any_queued
$$;
