-- The newest sealed day: the next day's document commits to its hash.
SELECT index_on, entry_count, index_path, index_sha256, prev_index_on, prev_sha256, sealed_at
FROM archive_days
ORDER BY index_on DESC
LIMIT 1
