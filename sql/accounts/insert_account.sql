-- A filed application's account: every registration field of the form, state 'applied', not opened yet.
INSERT INTO accounts (account_id, platform, name, platform_account_id, link, is_verified, verification_documents,
                      purpose, content_scope, creating_unit_id, host_unit_id, supervising_leader_id, level,
                      parent_account_id, state, policy_id, created_at, updated_at)
VALUES (:account_id, :platform, :name, :platform_account_id, :link, :is_verified, :verification_documents,
        :purpose, :content_scope, :creating_unit_id, :host_unit_id, :supervising_leader_id, :level,
        :parent_account_id, 'applied', :policy_id, :now, :now)
