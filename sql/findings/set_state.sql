UPDATE findings
SET state = :state,
    resolved_at = CASE WHEN :state = 'resolved' THEN :now ELSE NULL END
WHERE finding_id = :finding_id
