INSERT INTO manual_handoffs (post_id, operator_id, handoff, handed_at, deadline_at)
VALUES (:post_id, :operator_id, :handoff, :handed_at, :deadline_at)
ON CONFLICT (post_id) DO NOTHING
