-- Items published before the cutoff that still have no archive entry: missing from the archive.
SELECT pi.item_id, pi.account_id, pi.published_at
FROM published_items pi
LEFT JOIN archive_index ai ON ai.item_id = pi.item_id
WHERE ai.item_id IS NULL
  AND pi.published_at < :cutoff
ORDER BY pi.item_id
