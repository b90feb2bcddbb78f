-- Benchmark only: the publishing log as compact columns (account, epoch second, origin, status),
-- copied out once so the in-memory reference scans start from data already in memory.
COPY (
    SELECT account_id, FLOOR(EXTRACT(EPOCH FROM published_at))::bigint AS epoch, origin, platform_status
    FROM published_items
) TO STDOUT WITH (FORMAT csv)
