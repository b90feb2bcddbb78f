-- One archived bundle, filed on today unless that day is already sealed, then on the day after the
-- last sealed one (decided in this statement, so an entry never lands in a sealed day).
-- A concurrent run that indexed the same item first wins (write-once).
INSERT INTO archive_index (item_id, bundle_path, manifest_sha256, archived_at, index_on)
SELECT :item_id, :bundle_path, :manifest_sha256, :archived_at,
       CASE WHEN sealed.last_on IS NULL OR CAST(:today AS date) > sealed.last_on THEN CAST(:today AS date)
            ELSE sealed.last_on + 1 END
FROM (SELECT MAX(index_on) AS last_on FROM archive_days) AS sealed
ON CONFLICT (item_id) DO NOTHING
