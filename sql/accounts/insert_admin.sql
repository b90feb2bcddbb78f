INSERT INTO account_admins (account_id, person_id) VALUES (:account_id, :person_id)
