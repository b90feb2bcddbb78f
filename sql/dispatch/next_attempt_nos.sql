-- The next attempt number of each post in :post_ids (a JSON array); posts without attempts are absent.
SELECT post_id, MAX(attempt_no) + 1 AS attempt_no
FROM dispatch_attempts
WHERE post_id IN ({{ sql.json_text_elements(':post_ids') }})
GROUP BY post_id
