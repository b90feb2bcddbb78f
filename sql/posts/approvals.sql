SELECT s.step_id, s.post_id, s.chain, s.step_no, s.role, s.approver_id, s.decision, s.reason, s.via,
       s.content_hash, s.decided_at, pe.name AS approver_name
FROM approval_steps s
JOIN people pe ON pe.person_id = s.approver_id
WHERE s.post_id = :post_id
ORDER BY s.decided_at, s.step_no
