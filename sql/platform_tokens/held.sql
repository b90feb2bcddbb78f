-- Every stored token (plain from before migration 0019, or ciphertext), for re-encryption under the first key.
SELECT platform, account_key, access_token, token_ciphertext
FROM platform_tokens
WHERE access_token IS NOT NULL OR token_ciphertext IS NOT NULL
ORDER BY platform, account_key
