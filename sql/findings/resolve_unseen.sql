-- Findings of the scanned scope that this scan did not see again are resolved.
UPDATE findings
SET state = 'resolved', resolved_at = :now
WHERE rule_id = :rule_id
  AND period >= :period_from
  AND period <= :period_to
  AND state <> 'resolved'
  AND last_detected_at < :now
