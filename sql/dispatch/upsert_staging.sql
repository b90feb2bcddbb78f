INSERT INTO dispatch_staging (post_id, content_hash, channel, operator_id, staged, staged_at)
VALUES (:post_id, :content_hash, :channel, :operator_id, :staged, :staged_at)
ON CONFLICT (post_id) DO UPDATE SET
    content_hash = excluded.content_hash,
    channel = excluded.channel,
    operator_id = excluded.operator_id,
    staged = excluded.staged,
    staged_at = excluded.staged_at
