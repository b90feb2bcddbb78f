INSERT INTO dispatch_attempts (attempt_id, post_id, attempt_no, operation, outcome, error_code, error_message,
                               response, started_at, finished_at)
VALUES (:attempt_id, :post_id, :attempt_no, :operation, :outcome, :error_code, :error_message,
        :response, :started_at, :finished_at)
