SELECT person_id, name, unit_id, login, office_phone, mobile, email, is_active
FROM people
WHERE person_id = :person_id
