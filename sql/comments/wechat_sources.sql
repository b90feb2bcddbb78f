-- WeChat articles whose comments are watched: items published since :since that carry the platform's
-- msg_data_id (kept as platform_publish_id by a mass send, or observed on the platform).
SELECT p.account_id, p.platform_publish_id AS msg_data_id, p.published_at
FROM published_items p
JOIN accounts a ON a.account_id = p.account_id
WHERE p.platform = 'wechat' AND a.state = 'active' AND p.platform_publish_id IS NOT NULL
  AND p.published_at >= :since AND p.platform_status = 'live'
ORDER BY p.account_id, p.published_at
