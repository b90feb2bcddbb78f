-- Platform access tokens encrypted at rest (SEC-1, issue 16): Fernet ciphertext of the token under the
-- deployment's Fernet key (AIRFLOW__CORE__FERNET_KEY, as Airflow keeps connection passwords; herald.secrets_at_rest).
-- Every write stores token_ciphertext and empties access_token, which from now on only holds a plain token written
-- before this migration: the next refresh of that account, or `python -m herald tokens rotate-key`, encrypts it.
-- The key never reaches the database, so no SQL here can encrypt: the rows are migrated by that code path.
ALTER TABLE platform_tokens ADD COLUMN token_ciphertext TEXT;
