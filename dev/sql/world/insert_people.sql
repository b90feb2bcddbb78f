-- One people row of the demo world (SQLite path of copy_rows, and small inserts).
INSERT INTO people (person_id, name, unit_id, title, office_phone, mobile, email, is_active, login)
VALUES (:person_id, :name, :unit_id, :title, :office_phone, :mobile, :email, :is_active, :login)
