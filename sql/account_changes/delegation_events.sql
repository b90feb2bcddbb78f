SELECT event_id, state, actor_id, reason, occurred_at
FROM delegation_events
WHERE delegation_id = :delegation_id
ORDER BY occurred_at, event_id
