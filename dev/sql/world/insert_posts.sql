-- One posts row of the demo world (SQLite path of copy_rows, and small inserts).
INSERT INTO posts (post_id, release_id, account_id, author_id, kind, title, body, category, source, media, publish_at, urgency, content_hash, state, state_reason, requested_at, updated_at)
VALUES (:post_id, :release_id, :account_id, :author_id, :kind, :title, :body, :category, :source, :media, :publish_at, :urgency, :content_hash, :state, :state_reason, :requested_at, :updated_at)
