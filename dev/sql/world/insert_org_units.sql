-- One org_units row of the demo world (SQLite path of copy_rows, and small inserts).
INSERT INTO org_units (unit_id, name, kind, function_code, parent_id, policy_id, created_at)
VALUES (:unit_id, :name, :kind, :function_code, :parent_id, :policy_id, :created_at)
