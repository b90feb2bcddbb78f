-- One complaint with the names people read: the account, its host unit, the assignee.
SELECT c.complaint_id, c.account_id, c.channel, c.source_ref, c.complainant, c.contact, c.content, c.state,
       c.received_at, c.registered_at, c.registered_by, c.assignee_id, c.assign_due_at, c.assigned_at,
       c.answer_due_at, c.answered_at, c.answer, c.follow_up_due_at, c.followed_up_at, c.follow_up_note, c.outcome,
       c.policy_id, c.policy_sha256, c.updated_at,
       a.name AS account_name, a.platform, a.host_unit_id, u.name AS host_unit_name, p.name AS assignee_name
FROM complaints c
JOIN accounts a ON a.account_id = c.account_id
LEFT JOIN org_units u ON u.unit_id = a.host_unit_id
LEFT JOIN people p ON p.person_id = c.assignee_id
WHERE c.complaint_id = :complaint_id
