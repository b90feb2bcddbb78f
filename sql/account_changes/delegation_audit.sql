-- The audit pack's delegations (PUB-6) of one account (or every account: :account_id NULL) whose window overlaps
-- [:from_at, :to_at), with the people they named.
SELECT d.delegation_id, d.account_id, a.name AS account_name, d.unit_id, u.name AS unit_name, d.activity_kind, d.title,
       d.window_start_at, d.window_end_at, d.state, d.applied_by, d.applied_at, d.decided_by, d.decided_at,
       d.ended_by, d.ended_at, d.reason, d.policy_id, d.policy_sha256,
       (SELECT {{ sql.joined('dp.person_id') }} FROM delegation_people dp WHERE dp.delegation_id = d.delegation_id) AS people,
       (SELECT COUNT(*) FROM delegation_posts dq WHERE dq.delegation_id = d.delegation_id) AS posts
FROM delegations d
JOIN accounts a ON a.account_id = d.account_id
JOIN org_units u ON u.unit_id = d.unit_id
WHERE (:account_id IS NULL OR d.account_id = :account_id)
  AND d.window_start_at < :to_at AND d.window_end_at > :from_at
ORDER BY d.account_id, d.window_start_at, d.delegation_id
