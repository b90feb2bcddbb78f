SELECT p.post_id, p.account_id, p.publish_at, p.content_hash, p.approval_chain, p.author_id, p.title
FROM posts p
WHERE p.state = 'awaiting_approval'
ORDER BY p.publish_at
