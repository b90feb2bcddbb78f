-- Escalations not yet delivered everywhere, oldest first, with what the message says about each.
SELECT e.escalation_id, e.subject_key, e.comment_key, e.finding_id, e.account_id, e.host_unit_id, e.kind,
       e.summary, e.evidence_path, e.evidence_sha256, e.detected_at, e.attempts,
       a.name AS account_name, a.platform
FROM comment_escalations e
JOIN accounts a ON a.account_id = e.account_id
WHERE e.state = 'pending'
ORDER BY e.detected_at, e.escalation_id
LIMIT :max_rows
