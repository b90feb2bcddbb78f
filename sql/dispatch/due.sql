-- Approved posts due by :until (publish time, or the retry time after a retryable outcome).
SELECT p.post_id, p.account_id, p.kind, p.publish_at, p.dispatch_not_before_at, p.content_hash,
       a.platform, a.policy_id
FROM posts p
JOIN accounts a ON a.account_id = p.account_id
WHERE p.state = 'approved'
  AND p.publish_at <= :until
  AND (p.dispatch_not_before_at IS NULL OR p.dispatch_not_before_at <= :until)
ORDER BY p.publish_at, p.post_id
