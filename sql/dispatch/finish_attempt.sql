UPDATE dispatch_attempts
SET outcome = :outcome, error_code = :error_code, error_message = :error_message, response = :response,
    finished_at = :finished_at
WHERE attempt_id = :attempt_id
