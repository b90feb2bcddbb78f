INSERT INTO credential_rotations (rotation_id, account_id, handover_id, platform, state, method, detail, attempts,
                                  requested_at, finished_at)
VALUES (:rotation_id, :account_id, :handover_id, :platform, :state, :method, :detail, 0, :requested_at, :finished_at)
