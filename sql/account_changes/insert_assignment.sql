INSERT INTO role_assignments (assignment_id, person_id, role, unit_id, account_id, valid_from_on, valid_to_on)
VALUES (:assignment_id, :person_id, :role, NULL, :account_id, :valid_from_on, :valid_to_on)
