-- A person moves a finding from the state they saw to another (acknowledged or resolved). Guarded by the state
-- read, so two people acting at once do not both write history for one change: the second changes no row.
UPDATE findings
SET state = :to_state,
    resolved_at = CASE WHEN :to_state = 'resolved' THEN :now ELSE NULL END
WHERE finding_id = :finding_id
  AND state = :from_state
