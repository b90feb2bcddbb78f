-- Rows that show the database already holds an organisation (a world, or real data): then no world is built over it.
SELECT (SELECT COUNT(*) FROM org_units) + (SELECT COUNT(*) FROM accounts) + (SELECT COUNT(*) FROM world_ground_truth)
       + (SELECT COUNT(*) FROM world_builds) AS total
