SELECT person_id, name, unit_id, login, is_active
FROM people
WHERE person_id = :person_id
