-- Everyone who holds the role for the unit on a day (or holds it group-wide, for no unit and no account).
SELECT DISTINCT pe.person_id, pe.name, pe.login
FROM role_assignments ra
JOIN people pe ON pe.person_id = ra.person_id
WHERE ra.role = :role
  AND pe.is_active
  AND ra.valid_from_on <= :on
  AND (ra.valid_to_on IS NULL OR ra.valid_to_on >= :on)
  AND ra.account_id IS NULL
  AND (ra.unit_id = :unit_id OR ra.unit_id IS NULL)
ORDER BY pe.person_id
