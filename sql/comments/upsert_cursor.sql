-- Move a source's high-water mark (only after the comments it covers are stored, in the same transaction).
INSERT INTO comment_cursors (account_id, source_key, high_water, pulled_at)
VALUES (:account_id, :source_key, :high_water, :pulled_at)
ON CONFLICT (account_id, source_key) DO UPDATE SET high_water = excluded.high_water, pulled_at = excluded.pulled_at
