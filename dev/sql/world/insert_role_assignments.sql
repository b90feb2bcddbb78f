-- One role_assignments row of the demo world (SQLite path of copy_rows, and small inserts).
INSERT INTO role_assignments (assignment_id, person_id, role, unit_id, account_id, valid_from_on, valid_to_on)
VALUES (:assignment_id, :person_id, :role, :unit_id, :account_id, :valid_from_on, :valid_to_on)
