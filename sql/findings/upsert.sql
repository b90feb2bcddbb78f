-- Open or refresh every staged finding. Acknowledged findings stay acknowledged; resolved ones seen again reopen.
INSERT INTO findings (
    finding_id, rule_id, subject_type, subject_id, period, severity, summary, evidence,
    state, detected_by, first_detected_at, last_detected_at, resolved_at
)
SELECT finding_id, rule_id, subject_type, subject_id, period, severity, summary, evidence,
       'open', detected_by, :now, :now, NULL
FROM findings_stage
WHERE true  -- SQLite needs a WHERE before ON CONFLICT in INSERT ... SELECT to parse it
ON CONFLICT (rule_id, subject_type, subject_id, period) DO UPDATE SET
    severity = excluded.severity,
    summary = excluded.summary,
    evidence = excluded.evidence,
    detected_by = excluded.detected_by,
    last_detected_at = excluded.last_detected_at,
    state = CASE WHEN findings.state = 'resolved' THEN 'open' ELSE findings.state END,
    resolved_at = NULL
