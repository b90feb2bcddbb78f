-- Fresh planner statistics for findings after a scan in full: it can take the table from a few findings
-- to a year of them at once, and the next scans look findings up by state and by key (autovacuum may
-- be off, or not have come round yet).
ANALYZE findings
