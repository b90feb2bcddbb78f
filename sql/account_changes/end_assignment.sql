UPDATE role_assignments
SET valid_to_on = :valid_to_on
WHERE assignment_id = :assignment_id
