-- Published items without an archive index entry, oldest first; an optional start bounds the sweep.
SELECT pi.item_id
FROM published_items pi
LEFT JOIN archive_index ai ON ai.item_id = pi.item_id
WHERE ai.item_id IS NULL
  AND pi.published_at <= :settled_before
  AND (:since IS NULL OR pi.published_at >= :since)
ORDER BY pi.published_at, pi.item_id
