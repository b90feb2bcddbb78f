SELECT access_token, token_ciphertext, expires_at
FROM platform_tokens
WHERE platform = :platform AND account_key = :account_key
FOR UPDATE
