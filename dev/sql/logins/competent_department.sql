-- The group's competent department (the unit of whoever heads it for the root unit on :on): its head
-- first, then the department's other active people (auditor and reader logins for `make up`).
WITH head AS (
    SELECT pe.person_id, pe.unit_id
    FROM role_assignments ra
    JOIN org_units root ON root.unit_id = ra.unit_id AND root.parent_id IS NULL
    JOIN people pe ON pe.person_id = ra.person_id
    WHERE ra.role = 'competent_department_head'
      AND ra.account_id IS NULL
      AND pe.is_active
      AND ra.valid_from_on <= :on
      AND (ra.valid_to_on IS NULL OR ra.valid_to_on >= :on)
    ORDER BY pe.person_id
    LIMIT 1
)
SELECT pe.person_id, pe.name, pe.login, u.name AS unit_name,
       CASE WHEN pe.person_id = head.person_id THEN 0 ELSE 1 END AS is_member
FROM head
JOIN people pe ON pe.unit_id = head.unit_id
JOIN org_units u ON u.unit_id = pe.unit_id
WHERE pe.is_active
ORDER BY is_member, pe.person_id
