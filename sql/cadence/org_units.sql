-- The organisation tree, for routing each account's findings up to its competent department.
SELECT unit_id, name, kind, parent_id
FROM org_units
ORDER BY unit_id
