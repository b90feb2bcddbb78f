-- The same token under the first key; expires_at and refreshed_at stay: the token itself did not change.
UPDATE platform_tokens
SET token_ciphertext = :token_ciphertext,
    access_token = NULL
WHERE platform = :platform AND account_key = :account_key
