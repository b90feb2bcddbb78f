-- The approval decisions of several posts (:post_ids, a JSON array), as posts/approvals gives them for one.
SELECT s.step_id, s.post_id, s.chain, s.step_no, s.role, s.approver_id, s.decision, s.reason, s.via,
       s.content_hash, s.decided_at
FROM approval_steps s
WHERE s.post_id IN ({{ sql.json_text_elements(':post_ids') }})
ORDER BY s.post_id, s.decided_at, s.step_no
