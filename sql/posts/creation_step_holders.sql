-- Who answers a creation step (ACC-2) for an account, when a paid repost goes along the creation chain (CON-6):
-- holders of :role for the unit the policy's creation_approval names. :scope 'applying' is the account's host unit;
-- 'group' the department with :function_code directly under the group; 'company' that department of the nearest
-- company (group or subsidiary) at or above the host unit.
WITH RECURSIVE up (unit_id, parent_id, kind, depth) AS (
    SELECT u.unit_id, u.parent_id, u.kind, 0
    FROM accounts a
    JOIN org_units u ON u.unit_id = a.host_unit_id
    WHERE a.account_id = :account_id
  UNION ALL
    SELECT p.unit_id, p.parent_id, p.kind, up.depth + 1
    FROM up
    JOIN org_units p ON p.unit_id = up.parent_id
    WHERE up.depth < 20
),
candidates (unit_id, depth) AS (
    SELECT up.unit_id, 0
    FROM up
    WHERE CAST(:scope AS TEXT) = 'applying' AND up.depth = 0
  UNION ALL
    SELECT d.unit_id, up.depth
    FROM up
    JOIN org_units d ON d.parent_id = up.unit_id
    WHERE CAST(:scope AS TEXT) = 'company' AND up.kind IN ('group', 'subsidiary')
      AND d.kind = 'department' AND d.function_code = CAST(:function_code AS TEXT)
  UNION ALL
    SELECT d.unit_id, 0
    FROM org_units d
    JOIN org_units g ON g.unit_id = d.parent_id
    WHERE CAST(:scope AS TEXT) = 'group' AND g.kind = 'group'
      AND d.kind = 'department' AND d.function_code = CAST(:function_code AS TEXT)
),
answering (unit_id) AS (
    SELECT unit_id FROM candidates WHERE depth = (SELECT MIN(depth) FROM candidates)
)
SELECT DISTINCT pe.person_id, pe.name, pe.login
FROM role_assignments ra
JOIN answering an ON an.unit_id = ra.unit_id
JOIN people pe ON pe.person_id = ra.person_id
WHERE ra.role = :role
  AND pe.is_active
  AND ra.valid_from_on <= :on
  AND (ra.valid_to_on IS NULL OR ra.valid_to_on >= :on)
ORDER BY pe.person_id
