SELECT COALESCE(MAX(attempt_no), 0) + 1 FROM dispatch_attempts WHERE post_id = :post_id
