-- Bulk load of role_assignments rows (CSV in the column order of insert_role_assignments.sql).
COPY role_assignments (assignment_id, person_id, role, unit_id, account_id, valid_from_on, valid_to_on) FROM STDIN WITH (FORMAT csv)
