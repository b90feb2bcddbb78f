-- Complaints with a step past its due time at :now: not done by then, or done after it (SEC-4).
SELECT c.complaint_id, c.account_id, c.state, c.received_at, c.assignee_id,
       c.assign_due_at, c.assigned_at, c.answer_due_at, c.answered_at, c.follow_up_due_at, c.followed_up_at,
       c.policy_id, a.name AS account_name, a.platform, a.host_unit_id
FROM complaints c
JOIN accounts a ON a.account_id = c.account_id
WHERE (c.assign_due_at < :now AND (c.assigned_at IS NULL OR c.assigned_at > c.assign_due_at))
   OR (c.answer_due_at < :now AND (c.answered_at IS NULL OR c.answered_at > c.answer_due_at))
   OR (c.follow_up_due_at < :now AND (c.followed_up_at IS NULL OR c.followed_up_at > c.follow_up_due_at))
ORDER BY c.complaint_id
