INSERT INTO account_applications (application_id, account_id, applicant_id, applying_unit_id, related_unit_ids,
                                  planned_opened_on, chain, current_step_no, state, state_reason, via, source_name,
                                  source_sha256, policy_id, policy_sha256, submitted_at, decided_at, updated_at)
VALUES (:application_id, :account_id, :applicant_id, :applying_unit_id, :related_unit_ids, :planned_opened_on,
        :chain, 1, 'pending', :state_reason, :via, :source_name, :source_sha256, :policy_id, :policy_sha256,
        :now, NULL, :now)
