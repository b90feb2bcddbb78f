SELECT person_id, name, unit_id, login, is_active
FROM people
WHERE login = :login
