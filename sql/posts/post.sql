SELECT p.post_id, p.release_id, p.account_id, p.author_id, p.kind, p.title, p.body, p.category, p.source,
       p.media, p.publish_at, p.urgency, p.content_hash, p.state, p.state_reason, p.requested_at,
       p.updated_at, p.approval_chain, p.screening, p.policy_id, p.policy_sha256, p.sensitive_marks, p.is_paid_repost,
       a.platform, a.level, a.parent_account_id, a.host_unit_id, a.name AS account_name
FROM posts p
JOIN accounts a ON a.account_id = p.account_id
WHERE p.post_id = :post_id
