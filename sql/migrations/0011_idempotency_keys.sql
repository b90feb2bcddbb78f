-- Idempotency keys (issue 12): a request repeated with the same key (HTTP header Idempotency-Key, CLI
-- --idempotency-key) returns the first answer instead of doing the work twice. One row per (actor, key), written
-- in the same transaction as the request's effect, so a post and its key commit together or not at all.
-- Only successful requests are remembered; a row older than 24 hours is forgotten (herald.idempotency.KEY_TTL).
CREATE TABLE idempotency_keys (
    actor            TEXT NOT NULL,               -- the person acting (people.person_id): keys are per person
    idempotency_key  TEXT NOT NULL,               -- 1-255 printable ASCII characters, chosen by the client
    operation        TEXT NOT NULL,               -- what was asked, path included: 'POST /posts', 'PATCH /posts/P1'
    request_sha256   TEXT NOT NULL,               -- SHA-256 of the parsed request's canonical JSON
    response_status  INTEGER NOT NULL,
    response_body    TEXT NOT NULL,               -- JSON kept as text: a replay is the first answer byte for byte
    created_at       TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (actor, idempotency_key)
);
CREATE INDEX ix_idempotency_keys_created_at ON idempotency_keys (created_at);
