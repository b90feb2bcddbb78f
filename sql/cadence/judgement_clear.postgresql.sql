-- As findings/stage_clear.postgresql.sql: TRUNCATE, so a large earlier scan leaves no dead rows behind.
TRUNCATE cadence_judgement
