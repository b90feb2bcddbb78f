-- Everyone who holds the role for this account on a day. A role is held globally, for the account's
-- host unit, for the account itself, or (upper-level platform manager, ORG-3) for its parent platform.
-- The competent department head (ORG-2) held for a unit covers the units below it: the holder for the
-- nearest unit enclosing the host unit counts, as the digests route (herald.cadence.digest).
WITH RECURSIVE up (unit_id, parent_id, depth) AS (
    SELECT u.unit_id, u.parent_id, 0
    FROM accounts a
    JOIN org_units u ON u.unit_id = a.host_unit_id
    WHERE a.account_id = :account_id
  UNION ALL
    SELECT p.unit_id, p.parent_id, up.depth + 1
    FROM up
    JOIN org_units p ON p.unit_id = up.parent_id
    WHERE up.depth < 20
),
covering (unit_id) AS (
    SELECT up.unit_id
    FROM up
    WHERE up.depth = (
        SELECT MIN(near.depth)
        FROM up near
        JOIN role_assignments held ON held.unit_id = near.unit_id AND held.account_id IS NULL
        JOIN people holder ON holder.person_id = held.person_id
        WHERE held.role = 'competent_department_head'
          AND holder.is_active
          AND held.valid_from_on <= :on
          AND (held.valid_to_on IS NULL OR held.valid_to_on >= :on)
    )
)
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
     OR (ra.role = 'competent_department_head' AND ra.account_id IS NULL
         AND ra.unit_id IN (SELECT unit_id FROM covering))
  )
ORDER BY pe.person_id
