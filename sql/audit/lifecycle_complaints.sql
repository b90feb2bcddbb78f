-- Audit pack (SEC-4): complaints received through the accounts in the year and registered by the cutoff, with each
-- step's due time and the time it was done, as known at the cutoff (a step done after it shows as not done, and a
-- follow-up clock the answer starts after it as not started). :account_id NULL = every account.
SELECT c.complaint_id, c.account_id, a.name AS account_name, a.host_unit_id, c.channel, c.received_at,
       c.registered_at, c.registered_by,
       CASE WHEN c.assigned_at <= :cutoff THEN c.assignee_id END AS assignee_id,
       CASE WHEN c.assigned_at <= :cutoff THEN pa.name END AS assignee_name,
       c.assign_due_at,
       CASE WHEN c.assigned_at <= :cutoff THEN c.assigned_at END AS assigned_at,
       c.answer_due_at,
       CASE WHEN c.answered_at <= :cutoff THEN c.answered_at END AS answered_at,
       CASE WHEN c.answered_at <= :cutoff THEN c.follow_up_due_at END AS follow_up_due_at,
       CASE WHEN c.followed_up_at <= :cutoff THEN c.followed_up_at END AS followed_up_at,
       CASE WHEN c.followed_up_at <= :cutoff THEN c.outcome END AS outcome,
       c.policy_id
FROM complaints c
JOIN accounts a ON a.account_id = c.account_id
LEFT JOIN people pa ON pa.person_id = c.assignee_id
WHERE (CAST(:account_id AS TEXT) IS NULL OR c.account_id = CAST(:account_id AS TEXT))
  AND c.received_at >= :year_start AND c.received_at < :year_end AND c.registered_at <= :cutoff
ORDER BY c.account_id, c.received_at, c.complaint_id
