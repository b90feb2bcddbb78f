-- Everyone who holds the role for this account on a day. A role is held globally, for the account's
-- host unit, for the account itself, or (upper-level platform manager, ORG-3) for its parent platform.
SELECT DISTINCT pe.person_id, pe.name, pe.login
FROM role_assignments ra
JOIN accounts a ON a.account_id = :account_id
JOIN people pe ON pe.person_id = ra.person_id
WHERE ra.role = :role
  AND pe.is_active
  AND ra.valid_from_on <= :on
  AND (ra.valid_to_on IS NULL OR ra.valid_to_on >= :on)
  AND (
        (ra.account_id IS NULL AND ra.unit_id IS NULL)
     OR (ra.account_id IS NULL AND ra.unit_id = a.host_unit_id)
     OR ra.account_id = a.account_id
     OR (ra.role = 'upper_platform_manager' AND ra.account_id = a.parent_account_id)
  )
ORDER BY pe.person_id
