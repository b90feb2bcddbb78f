-- Active people with the contact fields the registration form carries, to match a form's names to people.
SELECT person_id, name, unit_id, title, login, office_phone, mobile, email
FROM people
WHERE is_active
ORDER BY person_id
