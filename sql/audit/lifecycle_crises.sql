-- Audit pack (SEC-3): the crisis findings the comment watch opened (a surge of negative comments on an account),
-- first detected in the year by the cutoff, with their state at the cutoff (from finding_history; without history,
-- their own state unless resolved after the cutoff) and the escalation that reported them.
-- :account_id NULL = every account.
SELECT f.finding_id, f.subject_id AS account_id, a.name AS account_name, a.host_unit_id, f.period, f.severity,
       f.summary, f.first_detected_at,
       COALESCE((SELECT h.to_state FROM finding_history h
                 WHERE h.finding_id = f.finding_id AND h.occurred_at <= :cutoff
                 ORDER BY h.occurred_at DESC, h.history_id DESC LIMIT 1),
                CASE WHEN f.resolved_at IS NOT NULL AND f.resolved_at > :cutoff THEN 'open' ELSE f.state END)
           AS state_at_cutoff,
       (SELECT MAX(h.occurred_at) FROM finding_history h
        WHERE h.finding_id = f.finding_id AND h.occurred_at <= :cutoff AND h.to_state = 'resolved') AS resolved_at,
       (SELECT MIN(e.escalation_id) FROM comment_escalations e WHERE e.finding_id = f.finding_id) AS escalation_id,
       (SELECT MIN(e.sent_at) FROM comment_escalations e
        WHERE e.finding_id = f.finding_id AND e.sent_at <= :cutoff) AS escalation_sent_at
FROM findings f
JOIN accounts a ON a.account_id = f.subject_id
WHERE f.rule_id = 'SEC-3' AND f.subject_type = 'account' AND f.detected_by LIKE 'comment_watch%'
  AND (CAST(:account_id AS TEXT) IS NULL OR f.subject_id = CAST(:account_id AS TEXT))
  AND f.first_detected_at >= :year_start AND f.first_detected_at < :year_end AND f.first_detected_at <= :cutoff
ORDER BY f.subject_id, f.first_detected_at, f.finding_id
