INSERT INTO platform_tokens (platform, account_key)
VALUES (:platform, :account_key)
ON CONFLICT (platform, account_key) DO NOTHING
