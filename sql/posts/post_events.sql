SELECT event_id, post_id, state, reason, actor_id, occurred_at
FROM post_events
WHERE post_id = :post_id
ORDER BY occurred_at, event_id
