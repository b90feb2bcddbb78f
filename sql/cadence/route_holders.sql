-- Who receives the digests: holders of the routing roles (competent department head, host unit
-- head) on the given day, with the unit each role is held for and the unit the person works in.
SELECT r.role, r.unit_id AS for_unit_id, p.person_id, p.name, p.email, p.unit_id AS person_unit_id
FROM role_assignments r
JOIN people p ON p.person_id = r.person_id
WHERE r.role IN ('competent_department_head', 'host_unit_head')
  AND r.unit_id IS NOT NULL
  AND r.valid_from_on <= :day AND (r.valid_to_on IS NULL OR r.valid_to_on >= :day)
  AND p.is_active
ORDER BY r.role, r.unit_id, p.person_id
