-- One account_admins row of the demo world (SQLite path of copy_rows, and small inserts).
INSERT INTO account_admins (account_id, person_id)
VALUES (:account_id, :person_id)
