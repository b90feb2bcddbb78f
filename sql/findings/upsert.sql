-- Open or refresh every staged finding. Acknowledged findings stay acknowledged; resolved ones seen again reopen.
-- A finding seen again exactly as it stands (same severity, summary, evidence and detector, not resolved) is not
-- rewritten: a yearly rescan re-confirms thousands of unchanged findings, and rewriting each wide row was most of
-- the scan's cost. So last_detected_at is when a scan last found the finding new, changed or back after its
-- resolution; every scan itself is in the pipeline ledger.
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
WHERE findings.state = 'resolved'
   OR findings.severity <> excluded.severity
   OR findings.summary <> excluded.summary
   OR findings.evidence <> excluded.evidence
   OR findings.detected_by <> excluded.detected_by
