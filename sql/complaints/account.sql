-- The account a complaint arrived through, with what the clocks and the permissions need.
SELECT account_id, name, platform, host_unit_id, policy_id, state
FROM accounts
WHERE account_id = :account_id
