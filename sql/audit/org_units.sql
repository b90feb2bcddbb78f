-- Audit group pack: the organisation's units, for verdicts by unit.
SELECT unit_id, name, kind, parent_id, policy_id
FROM org_units
ORDER BY unit_id
