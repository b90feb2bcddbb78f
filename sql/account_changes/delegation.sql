SELECT delegation_id, account_id, unit_id, activity_kind, title, window_start_at, window_end_at, state, applied_by,
       applied_at, decided_by, decided_at, ended_by, ended_at, reason, policy_id, policy_sha256, updated_at
FROM delegations
WHERE delegation_id = :delegation_id
