-- Never overwrites: the first answer stays the answer for its key.
INSERT INTO idempotency_keys
    (actor, idempotency_key, operation, request_sha256, response_status, response_body, created_at)
VALUES
    (:actor, :idempotency_key, :operation, :request_sha256, :response_status, :response_body, :created_at)
ON CONFLICT (actor, idempotency_key) DO NOTHING
