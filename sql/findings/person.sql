-- The person who acts on a finding: their unit decides which findings they may acknowledge and resolve.
SELECT person_id, name, unit_id, is_active
FROM people
WHERE person_id = :person_id
