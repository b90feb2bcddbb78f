-- Every archive index entry with what the bundle must agree with (item, content hash), by filing day.
SELECT ai.item_id, ai.bundle_path, ai.manifest_sha256, ai.archived_at, ai.index_on, pi.published_at,
       p.content_hash
FROM archive_index ai
JOIN published_items pi ON pi.item_id = ai.item_id
LEFT JOIN posts p ON p.post_id = pi.post_id
ORDER BY ai.index_on, ai.item_id
