-- Bulk load of dispatch_attempts rows (CSV in the column order of insert_dispatch_attempts.sql).
COPY dispatch_attempts (attempt_id, post_id, attempt_no, operation, outcome, error_code, error_message, response, started_at, finished_at) FROM STDIN WITH (FORMAT csv)
