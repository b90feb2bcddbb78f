-- Audit pack (SEC-2, SEC-3): the comment watch's escalations detected in the year by the cutoff, with the comment's
-- platform id, when it was written and pulled, the archived evidence and its SHA-256, and whether the message was sent
-- by the cutoff (a send after it counts as not sent). The comment's text is in the evidence, not repeated here.
-- :account_id NULL = every account.
SELECT e.escalation_id, e.account_id, a.name AS account_name, a.platform, e.host_unit_id, e.kind, e.summary,
       e.comment_key, c.platform_comment_id, c.verdict, c.commented_at, c.pulled_at, e.finding_id,
       e.evidence_path, e.evidence_sha256, e.detected_at,
       CASE WHEN e.sent_at <= :cutoff THEN e.sent_at END AS sent_at,
       CASE WHEN e.sent_at <= :cutoff THEN 'sent' ELSE 'pending' END AS state_at_cutoff,
       (SELECT COUNT(*) FROM comment_deliveries d
        WHERE d.escalation_id = e.escalation_id AND d.delivered_at <= :cutoff) AS deliveries
FROM comment_escalations e
JOIN accounts a ON a.account_id = e.account_id
LEFT JOIN comments c ON c.comment_key = e.comment_key
WHERE (CAST(:account_id AS TEXT) IS NULL OR e.account_id = CAST(:account_id AS TEXT))
  AND e.detected_at >= :year_start AND e.detected_at < :year_end AND e.detected_at <= :cutoff
ORDER BY e.account_id, e.detected_at, e.escalation_id
