INSERT INTO approval_steps (
    step_id, post_id, chain, step_no, role, approver_id, decision, reason, via, content_hash, decided_at
) VALUES (
    :step_id, :post_id, :chain, :step_no, :role, :approver_id, :decision, :reason, :via, :content_hash, :decided_at
)
