-- The successful preview (CON-9) of the staged draft, if any.
SELECT MAX(finished_at) AS preview_sent_at FROM dispatch_attempts
WHERE post_id = :post_id AND operation = 'preview' AND outcome = 'ok'
