-- Audit pack (ACC-5, ORG-2): who held a role for an account, or for its host unit, at any time of the year
-- (assignments overlapping [year_first_on, year_last_on]); the competent department's heads for every account.
SELECT r.assignment_id, a.account_id, r.role, r.person_id, p.name AS person_name, r.unit_id, u.name AS unit_name,
       r.valid_from_on, r.valid_to_on
FROM accounts a
JOIN role_assignments r
  ON r.account_id = a.account_id
  OR (r.account_id IS NULL AND r.unit_id = a.host_unit_id)
  OR (r.account_id IS NULL AND r.role = 'competent_department_head')
JOIN people p ON p.person_id = r.person_id
LEFT JOIN org_units u ON u.unit_id = r.unit_id
WHERE (:account_id IS NULL OR a.account_id = :account_id)
  AND r.valid_from_on <= :year_last_on
  AND (r.valid_to_on IS NULL OR r.valid_to_on >= :year_first_on)
ORDER BY a.account_id, r.role, r.valid_from_on, r.person_id, r.assignment_id
