-- The whole creation chain approved: the account opens (only from 'applied').
UPDATE accounts
SET state = 'active', opened_on = :opened_on, updated_at = :now
WHERE account_id = :account_id AND state = 'applied'
