-- ACC-5: active accounts whose own operator assignment ended (or whose operator left: person inactive) and that
-- have no operator on the day: the post changed hands without a filed handover.
SELECT a.account_id, a.name, a.platform, a.host_unit_id, a.policy_id,
       ra.person_id AS last_operator_id, pe.name AS last_operator_name, pe.is_active AS is_operator_active,
       ra.valid_to_on
FROM accounts a
JOIN role_assignments ra ON ra.account_id = a.account_id AND ra.role = 'operator'
JOIN people pe ON pe.person_id = ra.person_id
WHERE a.state = 'active'
  AND ra.valid_from_on <= :on
  AND ra.valid_from_on = (SELECT MAX(r2.valid_from_on) FROM role_assignments r2
                          WHERE r2.account_id = a.account_id AND r2.role = 'operator' AND r2.valid_from_on <= :on)
  AND ((ra.valid_to_on IS NOT NULL AND ra.valid_to_on < :on) OR NOT pe.is_active)
  AND NOT EXISTS (
      SELECT 1 FROM role_assignments r3
      JOIN people p3 ON p3.person_id = r3.person_id
      WHERE r3.role = 'operator' AND p3.is_active
        AND r3.valid_from_on <= :on AND (r3.valid_to_on IS NULL OR r3.valid_to_on >= :on)
        AND (r3.account_id = a.account_id OR (r3.account_id IS NULL AND r3.unit_id = a.host_unit_id)))
ORDER BY a.account_id, ra.person_id
