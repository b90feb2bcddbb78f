-- An account already registered (any state but a rejected application's) with this platform's account ID (ACC-1).
SELECT a.account_id, a.name
FROM accounts a
WHERE a.platform = :platform
  AND a.platform_account_id = :platform_account_id
  AND NOT EXISTS (SELECT 1 FROM account_applications ap WHERE ap.account_id = a.account_id AND ap.state = 'rejected')
