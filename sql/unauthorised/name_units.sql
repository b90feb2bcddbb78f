-- The units whose names name the company: the group and its subsidiaries (departments have generic names).
SELECT unit_id, name, kind, parent_id
FROM org_units
WHERE kind IN ('group', 'subsidiary')
ORDER BY unit_id
