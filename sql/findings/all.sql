SELECT finding_id, rule_id, subject_type, subject_id, period, severity, summary, evidence,
       state, detected_by, first_detected_at, last_detected_at, resolved_at
FROM findings
ORDER BY rule_id, subject_id, period
