-- Posts whose publish time has come without a complete approval chain.
SELECT post_id, account_id, publish_at, content_hash
FROM posts
WHERE state = 'awaiting_approval' AND publish_at <= :now
ORDER BY publish_at
