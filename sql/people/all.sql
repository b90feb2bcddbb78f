-- Every person with their Airflow login (people.login, NULL when none), for `herald people check`.
SELECT pe.person_id, pe.name, pe.login, pe.unit_id, u.name AS unit_name, pe.is_active
FROM people pe
JOIN org_units u ON u.unit_id = pe.unit_id
ORDER BY pe.person_id
