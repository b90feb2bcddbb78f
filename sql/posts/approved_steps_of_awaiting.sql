-- Approvals that may count for posts awaiting approval (same content version), for routing every
-- post's next step in one read; herald.posts.approval.progress decides which of them count.
SELECT s.post_id, s.step_no, s.role, s.content_hash, s.decision
FROM approval_steps s
JOIN posts p ON p.post_id = s.post_id
WHERE p.state = 'awaiting_approval'
  AND s.content_hash = p.content_hash
  AND s.decision = 'approved'
ORDER BY s.post_id, s.step_no
