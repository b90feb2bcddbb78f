-- Empty the staging table for this write. TRUNCATE, not DELETE: the connection keeps the table, and the
-- dead rows of a large earlier write would otherwise be scanned by every later one.
TRUNCATE findings_stage
