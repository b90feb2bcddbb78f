SELECT rotation_id, account_id, handover_id, platform, state, method, fingerprint, detail, attempts, requested_at,
       finished_at
FROM credential_rotations
WHERE rotation_id = :rotation_id
