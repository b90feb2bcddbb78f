-- Bytes a database takes on disk (the soak's growth figure).
SELECT pg_database_size(:name) AS bytes
