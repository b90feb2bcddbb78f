INSERT INTO account_changes (change_id, account_id, event_id, change_kind, old_value, new_value, effective_on,
                             deadline_on, reported_by, reported_at, filed_by, filed_at, filing_ref, handover_id,
                             policy_id, policy_sha256)
VALUES (:change_id, :account_id, :event_id, :change_kind, :old_value, :new_value, :effective_on, :deadline_on,
        :reported_by, :reported_at, :filed_by, :filed_at, :filing_ref, :handover_id, :policy_id, :policy_sha256)
