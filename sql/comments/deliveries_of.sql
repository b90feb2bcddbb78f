-- The deliveries already made for these escalations (a JSON array of ids).
SELECT escalation_id, audience, unit_id, channel
FROM comment_deliveries
WHERE escalation_id IN ({{ sql.json_text_elements(':ids') }})
