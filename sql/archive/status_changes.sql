-- Archived items the platform no longer shows as published (deleted by the user, banned by the platform).
SELECT pi.item_id, pi.platform_status, pi.status_checked_at, ai.bundle_path
FROM published_items pi
JOIN archive_index ai ON ai.item_id = pi.item_id
WHERE pi.platform_status <> 'live'
ORDER BY pi.item_id
