-- One request per (actor, key) at a time, tried without waiting: false means a request with this key is still
-- running (the draft's 409). Held until the end of the transaction, which also writes the key's row.
SELECT pg_try_advisory_xact_lock(
    hashtextextended('herald.idempotency' || chr(31) || :actor || chr(31) || :idempotency_key, 0)
) AS is_free
