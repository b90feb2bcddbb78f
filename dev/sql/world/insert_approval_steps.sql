-- One approval_steps row of the demo world (SQLite path of copy_rows, and small inserts).
INSERT INTO approval_steps (step_id, post_id, chain, step_no, role, approver_id, decision, reason, via, content_hash, decided_at)
VALUES (:step_id, :post_id, :chain, :step_no, :role, :approver_id, :decision, :reason, :via, :content_hash, :decided_at)
