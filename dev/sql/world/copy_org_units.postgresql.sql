-- Bulk load of org_units rows (CSV in the column order of insert_org_units.sql).
COPY org_units (unit_id, name, kind, function_code, parent_id, policy_id, created_at) FROM STDIN WITH (FORMAT csv)
