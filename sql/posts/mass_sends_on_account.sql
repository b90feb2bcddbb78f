-- The account's other WeChat mass sends, scheduled or already out (CON-9).
SELECT p.publish_at AS send_at
FROM posts p
WHERE p.account_id = :account_id
  AND p.kind = 'mass_send'
  AND p.post_id <> :exclude_post_id
  AND p.state NOT IN ('rejected', 'expired', 'failed', 'cancelled')
  AND p.publish_at >= :from_at AND p.publish_at < :to_at
UNION ALL
SELECT i.published_at AS send_at
FROM published_items i
WHERE i.account_id = :account_id
  AND i.is_mass_send
  AND (i.post_id IS NULL OR i.post_id <> :exclude_post_id)
  AND i.published_at >= :from_at AND i.published_at < :to_at
  AND NOT EXISTS (SELECT 1 FROM posts q WHERE q.post_id = i.post_id AND q.kind = 'mass_send')
