SELECT change_id, account_id, event_id, change_kind, old_value, new_value, effective_on, deadline_on, reported_by,
       reported_at, filed_by, filed_at, filing_ref, handover_id, policy_id
FROM account_changes
WHERE account_id = :account_id
ORDER BY effective_on, reported_at, change_id
