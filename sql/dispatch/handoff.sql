SELECT post_id, operator_id, handoff, handed_at, deadline_at, confirmed_link, confirmed_by, confirmed_at, is_late
FROM manual_handoffs
WHERE post_id = :post_id
