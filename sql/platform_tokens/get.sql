-- token_ciphertext: Fernet ciphertext (migration 0019); access_token: a plain token from before it, or NULL.
SELECT access_token, token_ciphertext, expires_at
FROM platform_tokens
WHERE platform = :platform AND account_key = :account_key
