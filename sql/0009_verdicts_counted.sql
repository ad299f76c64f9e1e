-- The verdicts that count for a rule's statistics and the queue's rule filter: the ones that held
-- or rejected, and the evidence (details carry its points) behind a held or rejected item.
CREATE INDEX verdicts_counted ON verdicts (site_id, rule, created_at)
 WHERE action <> 'allow' OR (details ? 'points' AND score > 0);
DROP INDEX IF EXISTS verdicts_by_rule;
