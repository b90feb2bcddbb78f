-- Complaints received in [:from_at, :to_at) with their clocks, for the audit pack; one account or (NULL) all.
SELECT c.complaint_id, c.account_id, a.name AS account_name, a.platform, a.host_unit_id, c.channel, c.state,
       c.received_at, c.registered_by, c.assignee_id, c.assign_due_at, c.assigned_at, c.answer_due_at,
       c.answered_at, c.follow_up_due_at, c.followed_up_at, c.outcome, c.policy_id, c.policy_sha256
FROM complaints c
JOIN accounts a ON a.account_id = c.account_id
WHERE (CAST(:account_id AS TEXT) IS NULL OR c.account_id = :account_id)
  AND c.received_at >= :from_at AND c.received_at < :to_at
ORDER BY c.account_id, c.received_at, c.complaint_id
