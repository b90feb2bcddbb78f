-- The approval chain of each given item's post, each decision with the content hash the approver saw.
SELECT pi.item_id, s.step_id, s.chain, s.step_no, s.role, s.approver_id, pe.name AS approver_name, s.decision,
       s.reason, s.via, s.content_hash, s.decided_at
FROM published_items pi
JOIN approval_steps s ON s.post_id = pi.post_id
LEFT JOIN people pe ON pe.person_id = s.approver_id
WHERE pi.item_id IN (SELECT jsonb_array_elements_text(CAST(:item_ids AS jsonb)))
ORDER BY pi.item_id, s.decided_at, s.step_no, s.step_id
