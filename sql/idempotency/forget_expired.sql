-- The key's row if it has outlived its time: the request then runs again as new.
DELETE FROM idempotency_keys
WHERE actor = :actor AND idempotency_key = :idempotency_key AND created_at < :cutoff
