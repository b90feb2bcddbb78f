-- Complaints for people: of the given states, optionally one account, optionally only some host units.
--   :states    JSON array of states;  :account_id  one account or NULL
--   :unit_ids  JSON array of host units, or NULL for every unit;  :max_rows  at most this many
SELECT c.complaint_id, c.account_id, c.channel, c.complainant, c.content, c.state, c.received_at, c.assignee_id,
       c.assign_due_at, c.assigned_at, c.answer_due_at, c.answered_at, c.follow_up_due_at, c.followed_up_at,
       c.outcome, a.name AS account_name, a.platform, a.host_unit_id, p.name AS assignee_name
FROM complaints c
JOIN accounts a ON a.account_id = c.account_id
LEFT JOIN people p ON p.person_id = c.assignee_id
WHERE c.state IN ({{ sql.json_text_elements(':states') }})
  AND (CAST(:account_id AS TEXT) IS NULL OR c.account_id = :account_id)
  AND (CAST(:unit_ids AS TEXT) IS NULL OR a.host_unit_id IN ({{ sql.json_text_elements(':unit_ids') }}))
ORDER BY c.received_at DESC, c.complaint_id
LIMIT :max_rows
