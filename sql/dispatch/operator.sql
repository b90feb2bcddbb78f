-- The designated operator of an account on a day (PUB-3): role 'operator' held for the account or its host unit.
SELECT pe.person_id, pe.name
FROM role_assignments ra
JOIN accounts a ON a.account_id = :account_id
JOIN people pe ON pe.person_id = ra.person_id
WHERE ra.role = 'operator'
  AND pe.is_active
  AND ra.valid_from_on <= :on
  AND (ra.valid_to_on IS NULL OR ra.valid_to_on >= :on)
  AND (ra.account_id = a.account_id OR (ra.account_id IS NULL AND ra.unit_id = a.host_unit_id))
ORDER BY CASE WHEN ra.account_id IS NULL THEN 1 ELSE 0 END, pe.person_id
