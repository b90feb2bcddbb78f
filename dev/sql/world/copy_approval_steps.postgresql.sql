-- Bulk load of approval_steps rows (CSV in the column order of insert_approval_steps.sql).
COPY approval_steps (step_id, post_id, chain, step_no, role, approver_id, decision, reason, via, content_hash, decided_at) FROM STDIN WITH (FORMAT csv)
