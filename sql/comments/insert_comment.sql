-- Idempotent: a comment pulled twice (overlapping pages, a re-run) is stored once.
INSERT INTO comments (comment_key, account_id, platform, source_key, platform_comment_id, author_ref, content,
                      commented_at, pulled_at, verdict, is_negative, hits, lexicon_sha256, record_sha256)
VALUES (:comment_key, :account_id, :platform, :source_key, :platform_comment_id, :author_ref, :content,
        :commented_at, :pulled_at, :verdict, :is_negative, :hits, :lexicon_sha256, :record_sha256)
ON CONFLICT (comment_key) DO NOTHING
