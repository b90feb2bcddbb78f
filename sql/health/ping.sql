-- The connection form's Test button: the database answers.
SELECT 1 AS ok
