UPDATE posts
SET title = :title, body = :body, category = :category, source = :source, media = :media,
    publish_at = :publish_at, urgency = :urgency, kind = :kind, content_hash = :content_hash,
    approval_chain = :approval_chain, screening = :screening, policy_id = :policy_id,
    policy_sha256 = :policy_sha256, sensitive_marks = :sensitive_marks, is_paid_repost = :is_paid_repost,
    state = :state, state_reason = :state_reason, updated_at = :now
WHERE post_id = :post_id AND content_hash = :expected_hash
