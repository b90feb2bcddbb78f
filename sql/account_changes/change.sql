SELECT c.change_id, c.account_id, c.event_id, c.change_kind, c.old_value, c.new_value, c.effective_on, c.deadline_on,
       c.reported_by, c.reported_at, c.filed_by, c.filed_at, c.filing_ref, c.handover_id, c.policy_id, c.policy_sha256
FROM account_changes c
WHERE c.change_id = :change_id
