-- A post with what dispatch needs: its account, its staging and its ids.
SELECT p.post_id, p.release_id, p.account_id, p.author_id, p.kind, p.title, p.body, p.category, p.source,
       p.media, p.publish_at, p.urgency, p.content_hash, p.state, p.state_reason, p.requested_at,
       p.updated_at, p.approval_chain, p.policy_id, p.platform_ref, p.dispatch_not_before_at,
       a.platform, a.level, a.state AS account_state, a.name AS account_name, a.platform_account_id,
       s.content_hash AS staged_hash, s.channel, s.operator_id, s.staged, s.staged_at
FROM posts p
JOIN accounts a ON a.account_id = p.account_id
LEFT JOIN dispatch_staging s ON s.post_id = p.post_id
WHERE p.post_id = :post_id
