-- Where every account's pull stopped.
SELECT account_id, source_key, high_water, pulled_at
FROM comment_cursors
