-- Findings of the scanned scope that this scan did not see again (not in findings_stage) are resolved.
-- NOT EXISTS, an anti-join: NOT IN over the stage is a hashed lookup only while the stage fits in work_mem, and
-- past that PostgreSQL falls back to scanning the stage once per finding (minutes at a million staged rows).
UPDATE findings
SET state = 'resolved', resolved_at = :now
WHERE rule_id = :rule_id
  AND period >= :period_from
  AND period <= :period_to
  AND state <> 'resolved'
  AND NOT EXISTS (SELECT 1 FROM findings_stage s WHERE s.finding_id = findings.finding_id)
