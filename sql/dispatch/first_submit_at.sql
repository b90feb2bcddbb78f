-- When the first submission of the post started: the settle window counts from here.
SELECT MIN(started_at) AS first_submit_at FROM dispatch_attempts
WHERE post_id = :post_id AND operation <> 'preview' AND operation NOT LIKE 'stage:%'
