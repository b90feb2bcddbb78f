-- The sealed days of the index chain, oldest first.
SELECT index_on, entry_count, index_path, index_sha256, prev_index_on, prev_sha256, sealed_at
FROM archive_days
ORDER BY index_on
