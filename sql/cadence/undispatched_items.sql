-- PUB-1 (and PUB-3): items found on a platform that match no item Herald dispatched or had confirmed
-- on the same account (same platform item id).
SELECT o.item_id, o.account_id, a.name, a.platform, a.host_unit_id, a.policy_id,
       o.platform_item_id, o.url, o.published_at,
       ({{ sql.epoch_seconds('o.published_at') }} + 28800) / 86400 AS day_number
FROM published_items o
JOIN accounts a ON a.account_id = o.account_id
WHERE o.origin = 'platform_observed'
  AND o.published_at >= :from_at AND o.published_at < :to_at
  AND NOT EXISTS (
      SELECT 1 FROM published_items d
      WHERE d.account_id = o.account_id AND d.platform_item_id = o.platform_item_id
        AND d.origin <> 'platform_observed')
ORDER BY o.account_id, o.published_at, o.item_id
