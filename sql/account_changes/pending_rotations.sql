SELECT r.rotation_id, r.account_id, r.handover_id, r.platform, r.attempts, r.requested_at,
       a.platform_account_id
FROM credential_rotations r
JOIN accounts a ON a.account_id = r.account_id
WHERE r.state = 'pending' AND (:rotation_id IS NULL OR r.rotation_id = :rotation_id)
ORDER BY r.requested_at, r.rotation_id
