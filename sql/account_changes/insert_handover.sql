INSERT INTO account_handovers (handover_id, account_id, event_id, from_person_id, to_person_id, effective_on,
                               receipt_ref, receipt_by, receipt_on, filed_by, filed_at, policy_id, policy_sha256)
VALUES (:handover_id, :account_id, :event_id, :from_person_id, :to_person_id, :effective_on, :receipt_ref,
        :receipt_by, :receipt_on, :filed_by, :filed_at, :policy_id, :policy_sha256)
