-- One attempt at a rotation; a pending one stays pending (retried) until done or failed.
UPDATE credential_rotations
SET state = :state, method = :method, fingerprint = :fingerprint, detail = :detail, attempts = attempts + 1,
    finished_at = :finished_at
WHERE rotation_id = :rotation_id AND state = 'pending'
