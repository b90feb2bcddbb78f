-- For the audit pack (SEC-2, SEC-3): every escalation detected in [:from_at, :to_at), for one account or all
-- (:account_id NULL), with its comment, evidence checksum and when it was sent.
SELECT e.escalation_id, e.account_id, a.name AS account_name, a.platform, e.host_unit_id, e.kind, e.summary,
       e.comment_key, c.platform_comment_id, c.content, c.commented_at, c.hits, e.finding_id,
       e.evidence_path, e.evidence_sha256, e.detected_at, e.sent_at, e.state
FROM comment_escalations e
JOIN accounts a ON a.account_id = e.account_id
LEFT JOIN comments c ON c.comment_key = e.comment_key
WHERE e.detected_at >= :from_at AND e.detected_at < :to_at
  AND (CAST(:account_id AS TEXT) IS NULL OR e.account_id = :account_id)
ORDER BY e.account_id, e.detected_at, e.escalation_id
