SELECT person_id FROM delegation_people WHERE delegation_id = :delegation_id ORDER BY person_id
