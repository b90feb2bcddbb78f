SELECT dp.post_id, p.state, p.publish_at
FROM delegation_posts dp
JOIN posts p ON p.post_id = dp.post_id
WHERE dp.delegation_id = :delegation_id
ORDER BY p.publish_at, dp.post_id
