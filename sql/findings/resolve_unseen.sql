-- Findings of the scanned scope that this scan did not see again (not in findings_stage) are resolved.
-- NOT IN over the stage is one hashed lookup per finding whatever the statistics of either table say.
UPDATE findings
SET state = 'resolved', resolved_at = :now
WHERE rule_id = :rule_id
  AND period >= :period_from
  AND period <= :period_to
  AND state <> 'resolved'
  AND finding_id NOT IN (SELECT finding_id FROM findings_stage)
