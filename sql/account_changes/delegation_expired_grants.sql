SELECT delegation_id, account_id, unit_id, window_start_at, window_end_at, state
FROM delegations
WHERE state = 'granted' AND window_end_at <= :now
ORDER BY window_end_at, delegation_id
