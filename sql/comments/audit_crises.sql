-- For the audit pack (SEC-3): the crisis findings (comment surges) first detected in [:from_at, :to_at).
SELECT f.finding_id, f.subject_id AS account_id, f.period, f.severity, f.summary, f.evidence, f.state,
       f.first_detected_at, f.resolved_at
FROM findings f
WHERE f.rule_id = 'SEC-3' AND f.subject_type = 'account' AND f.detected_by LIKE 'comment_watch%'
  AND f.first_detected_at >= :from_at AND f.first_detected_at < :to_at
  AND (CAST(:account_id AS TEXT) IS NULL OR f.subject_id = :account_id)
ORDER BY f.subject_id, f.first_detected_at
