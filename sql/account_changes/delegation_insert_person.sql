INSERT INTO delegation_people (delegation_id, person_id) VALUES (:delegation_id, :person_id)
