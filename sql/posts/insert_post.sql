INSERT INTO posts (
    post_id, release_id, account_id, author_id, kind, title, body, category, source, media,
    publish_at, urgency, content_hash, state, state_reason, requested_at, updated_at,
    approval_chain, screening, policy_id, policy_sha256, sensitive_marks, is_paid_repost
) VALUES (
    :post_id, :release_id, :account_id, :author_id, :kind, :title, :body, :category, :source, :media,
    :publish_at, :urgency, :content_hash, :state, :state_reason, :requested_at, :updated_at,
    :approval_chain, :screening, :policy_id, :policy_sha256, :sensitive_marks, :is_paid_repost
)
