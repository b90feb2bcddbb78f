SELECT h.post_id, h.operator_id, h.deadline_at, h.handed_at, p.account_id, p.publish_at
FROM manual_handoffs h
JOIN posts p ON p.post_id = h.post_id
WHERE h.confirmed_at IS NULL AND h.deadline_at < :now
ORDER BY h.deadline_at, h.post_id
