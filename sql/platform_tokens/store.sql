UPDATE platform_tokens
SET access_token = :access_token,
    expires_at = :expires_at,
    refreshed_at = :refreshed_at
WHERE platform = :platform AND account_key = :account_key
