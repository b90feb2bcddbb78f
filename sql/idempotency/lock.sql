-- SQLite: every write transaction already holds the database (BEGIN IMMEDIATE), so a duplicate waits for the
-- first request to commit and then finds its row.
SELECT 1 AS is_free
