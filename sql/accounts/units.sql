-- Every organisational unit, to resolve the applying unit, its company and the departments of the creation chain.
SELECT unit_id, name, kind, function_code, parent_id, policy_id
FROM org_units
ORDER BY unit_id
