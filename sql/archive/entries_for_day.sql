-- The entries filed on one day, in the order the day's index document lists them.
SELECT item_id, bundle_path, manifest_sha256
FROM archive_index
WHERE index_on = :index_on
ORDER BY item_id
