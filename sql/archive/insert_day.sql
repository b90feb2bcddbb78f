-- Seal a day: its index document's hash, and the hash of the day before it commits to.
INSERT INTO archive_days (index_on, entry_count, index_path, index_sha256, prev_index_on, prev_sha256, sealed_at)
VALUES (:index_on, :entry_count, :index_path, :index_sha256, :prev_index_on, :prev_sha256, :sealed_at)
