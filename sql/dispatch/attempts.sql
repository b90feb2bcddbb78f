SELECT attempt_id, post_id, attempt_no, operation, outcome, error_code, error_message, response,
       started_at, finished_at
FROM dispatch_attempts
WHERE post_id = :post_id
ORDER BY attempt_no
