SELECT e.event_id, e.delegation_id, d.account_id, e.state, e.actor_id, e.reason, e.occurred_at
FROM delegation_events e
JOIN delegations d ON d.delegation_id = e.delegation_id
WHERE (:account_id IS NULL OR d.account_id = :account_id)
  AND d.window_start_at < :to_at AND d.window_end_at > :from_at
ORDER BY d.account_id, e.delegation_id, e.occurred_at, e.event_id
