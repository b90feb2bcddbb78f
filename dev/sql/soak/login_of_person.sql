-- The Airflow login of a person (people.login), NULL when the person has none.
SELECT login FROM people WHERE person_id = :person_id
