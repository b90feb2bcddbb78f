-- How many submissions (not staging calls, not previews) were tried: retries stop after a limit.
SELECT COUNT(*) FROM dispatch_attempts
WHERE post_id = :post_id AND operation <> 'preview' AND operation NOT LIKE 'stage:%'
