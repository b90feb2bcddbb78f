-- Open findings of the given rule in the period range, for the digests (acknowledged ones are being handled).
SELECT finding_id, rule_id, subject_type, subject_id, period, severity, summary, evidence, first_detected_at
FROM findings
WHERE rule_id = :rule_id AND state = 'open' AND period >= :period_from AND period <= :period_to
ORDER BY rule_id, period, subject_id
