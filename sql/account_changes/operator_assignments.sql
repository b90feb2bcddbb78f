-- The account's own operator assignments (PUB-3) in force on or after a day.
SELECT assignment_id, person_id, valid_from_on, valid_to_on
FROM role_assignments
WHERE role = 'operator' AND account_id = :account_id
  AND (valid_to_on IS NULL OR valid_to_on >= :on)
ORDER BY valid_from_on, assignment_id
