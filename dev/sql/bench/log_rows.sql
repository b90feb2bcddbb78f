-- Benchmark only: the publishing log as a first version of a cadence scan reads it (every row).
SELECT account_id, published_at, origin, platform_status, platform_item_id, item_id
FROM published_items
