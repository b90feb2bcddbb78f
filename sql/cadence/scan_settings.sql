-- SQLite has no JIT and no work_mem: the scan runs with its defaults (PostgreSQL: scan_settings.postgresql.sql).
SELECT 1
