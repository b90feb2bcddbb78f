INSERT INTO delegations (delegation_id, account_id, unit_id, activity_kind, title, window_start_at, window_end_at, state,
                         applied_by, applied_at, policy_id, policy_sha256, updated_at)
VALUES (:delegation_id, :account_id, :unit_id, :activity_kind, :title, :window_start_at, :window_end_at, :state,
        :applied_by, :applied_at, :policy_id, :policy_sha256, :updated_at)
