-- ACC-3/ACC-4: a filed change of the account's name, in effect, becomes the registered name.
UPDATE accounts
SET name = :name, updated_at = :now
WHERE account_id = :account_id
