-- Sealing waits for archive runs still inserting entries, and holds new ones back until it commits.
LOCK TABLE archive_index IN SHARE MODE
