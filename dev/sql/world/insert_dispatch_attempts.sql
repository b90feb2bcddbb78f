-- One dispatch_attempts row of the demo world (SQLite path of copy_rows, and small inserts).
INSERT INTO dispatch_attempts (attempt_id, post_id, attempt_no, operation, outcome, error_code, error_message, response, started_at, finished_at)
VALUES (:attempt_id, :post_id, :attempt_no, :operation, :outcome, :error_code, :error_message, :response, :started_at, :finished_at)
