-- Bulk load of account_admins rows (CSV in the column order of insert_account_admins.sql).
COPY account_admins (account_id, person_id) FROM STDIN WITH (FORMAT csv)
