-- The accounts a post can be queued for on the queue page (the domain checks the rest when it is submitted).
SELECT account_id, name, platform
FROM accounts
WHERE state = 'active'
ORDER BY name, account_id
