-- The account a change, handover or delegation is about, with what the checks need.
SELECT account_id, platform, name, level, parent_account_id, host_unit_id, state, policy_id, platform_account_id
FROM accounts
WHERE account_id = :account_id
