-- The state history of each given item's post (requested, approved, published or confirmed by the operator).
SELECT pi.item_id, e.event_id, e.state, e.reason, e.actor_id, e.occurred_at
FROM published_items pi
JOIN post_events e ON e.post_id = pi.post_id
WHERE pi.item_id IN (SELECT jsonb_array_elements_text(CAST(:item_ids AS jsonb)))
ORDER BY pi.item_id, e.occurred_at, e.event_id
