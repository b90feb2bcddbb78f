-- SEC-1: only ciphertext is written; a plain token left from before migration 0019 is emptied here.
UPDATE platform_tokens
SET token_ciphertext = :token_ciphertext,
    access_token = NULL,
    expires_at = :expires_at,
    refreshed_at = :refreshed_at
WHERE platform = :platform AND account_key = :account_key
