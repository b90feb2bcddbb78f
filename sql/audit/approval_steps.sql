-- Audit pack (PUB-2): the approval decisions on the year's published items, approvers by name; is_for_published
-- marks the decisions taken on the content hash that went out.
SELECT i.account_id, i.item_id, s.post_id, s.step_no, s.role, s.approver_id, ap.name AS approver_name, s.decision,
       s.via, s.content_hash, s.decided_at,
       CASE WHEN s.content_hash = p.content_hash THEN 1 ELSE 0 END AS is_for_published
FROM published_items i
JOIN posts p ON p.post_id = i.post_id
JOIN approval_steps s ON s.post_id = i.post_id
JOIN people ap ON ap.person_id = s.approver_id
WHERE (:account_id IS NULL OR i.account_id = :account_id)
  AND i.published_at >= :year_start AND i.published_at < :year_end AND i.published_at <= :cutoff
  AND s.decided_at <= :cutoff
ORDER BY i.account_id, i.published_at, i.item_id, s.decided_at, s.step_no, s.step_id
