-- Posts whose outcome is not settled yet: claimed ('dispatching') or accepted without confirmation
-- ('unconfirmed'), last touched before :before.
SELECT p.post_id, p.state, p.updated_at, p.platform_ref, s.channel
FROM posts p
LEFT JOIN dispatch_staging s ON s.post_id = p.post_id
WHERE p.state IN ('dispatching', 'unconfirmed')
  AND p.updated_at <= :before
ORDER BY p.updated_at, p.post_id
