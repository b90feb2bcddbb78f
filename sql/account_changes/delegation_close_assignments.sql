-- The delegates' role on the account ends on the day the delegation ended (never before the day it began).
UPDATE role_assignments
SET valid_to_on = :valid_to_on
WHERE role = 'activity_delegate' AND assignment_id LIKE :prefix || '%'
