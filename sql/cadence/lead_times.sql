-- CON-10: posts to be published in the window, with when they were requested (days are Shanghai
-- day numbers since 1970-01-01). Rejected and cancelled requests never went ahead and are not judged.
SELECT p.post_id, p.account_id, a.name, a.platform, a.host_unit_id, a.policy_id, p.title,
       substr(p.body, 1, 40) AS excerpt, p.urgency,
       p.requested_at, p.publish_at,
       {{ sql.epoch_seconds('p.publish_at') }} - {{ sql.epoch_seconds('p.requested_at') }} AS lead_seconds,
       ({{ sql.epoch_seconds('p.requested_at') }} + 28800) / 86400 AS requested_day,
       ({{ sql.epoch_seconds('p.publish_at') }} + 28800) / 86400 AS publish_day
FROM posts p
JOIN accounts a ON a.account_id = p.account_id
WHERE p.publish_at >= :from_at AND p.publish_at < :to_at
  AND p.state NOT IN ('rejected', 'cancelled')
ORDER BY p.account_id, p.publish_at, p.post_id
