-- CON-9: WeChat mass sends per account and Shanghai day, for days with more than the fewest any policy allows.
-- A mass send is one platform publish (several articles of one send share its publish id), whatever
-- its origin or later status: the quota is spent when it is sent.
SELECT i.account_id, a.name, a.platform, a.host_unit_id, a.policy_id,
       ({{ sql.epoch_seconds('i.published_at') }} + 28800) / 86400 AS day_number,
       COUNT(DISTINCT COALESCE(i.platform_publish_id, i.platform_item_id, i.item_id)) AS mass_sends,
       {{ sql.joined('i.item_id') }} AS item_ids
FROM published_items i
JOIN accounts a ON a.account_id = i.account_id
WHERE i.is_mass_send AND i.platform = 'wechat'
  AND i.published_at >= :from_at AND i.published_at < :to_at
GROUP BY i.account_id, a.name, a.platform, a.host_unit_id, a.policy_id, day_number
HAVING COUNT(DISTINCT COALESCE(i.platform_publish_id, i.platform_item_id, i.item_id)) > :fewest_allowed
ORDER BY i.account_id, day_number
