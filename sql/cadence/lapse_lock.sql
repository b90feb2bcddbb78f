-- SQLite: every write transaction already holds the database (BEGIN IMMEDIATE), so scans take turns anyway.
SELECT 1
