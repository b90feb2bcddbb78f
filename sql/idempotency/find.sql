SELECT operation, request_sha256, response_status, response_body, created_at
FROM idempotency_keys
WHERE actor = :actor AND idempotency_key = :idempotency_key
