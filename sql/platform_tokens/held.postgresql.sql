-- Every stored token, locked until the re-encryption commits (a refresh meanwhile waits, then reads the new text).
SELECT platform, account_key, access_token, token_ciphertext
FROM platform_tokens
WHERE access_token IS NOT NULL OR token_ciphertext IS NOT NULL
ORDER BY platform, account_key
FOR UPDATE
