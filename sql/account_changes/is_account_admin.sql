SELECT COUNT(*) FROM account_admins WHERE account_id = :account_id AND person_id = :person_id
