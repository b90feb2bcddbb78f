-- Bulk load of people rows (CSV in the column order of insert_people.sql).
COPY people (person_id, name, unit_id, title, office_phone, mobile, email, is_active, login) FROM STDIN WITH (FORMAT csv)
