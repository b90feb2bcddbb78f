-- Bulk load of posts rows (CSV in the column order of insert_posts.sql).
COPY posts (post_id, release_id, account_id, author_id, kind, title, body, category, source, media, publish_at, urgency, content_hash, state, state_reason, requested_at, updated_at) FROM STDIN WITH (FORMAT csv)
