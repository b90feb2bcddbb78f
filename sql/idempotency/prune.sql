-- Housekeeping after a new key is stored: rows past their time are never replayed, so they go.
DELETE FROM idempotency_keys WHERE created_at < :cutoff
