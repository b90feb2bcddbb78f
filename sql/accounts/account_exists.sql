SELECT account_id, state FROM accounts WHERE account_id = :account_id
