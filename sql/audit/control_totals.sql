-- Audit pack tie-outs: per account, the year's published items counted from the tables that vouch for them,
-- independently of published_items.sql: dispatches the platform confirmed (an 'ok' dispatch attempt and a
-- confirmation time, both by the cutoff), manual publications their operator confirmed by the cutoff, items
-- observed on the platform, and archive bundles filed by the cutoff. Joined, not looked up per item (one pass
-- at ten million items).
WITH confirmed_posts AS (
    SELECT DISTINCT d.post_id
    FROM dispatch_attempts d
    WHERE d.outcome = 'ok' AND d.started_at <= :cutoff
)
SELECT i.account_id,
       SUM(CASE WHEN i.origin = 'dispatch' AND i.confirmed_at <= :cutoff AND c.post_id IS NOT NULL THEN 1 ELSE 0 END)
           AS confirmed_dispatches,
       SUM(CASE WHEN i.origin = 'manual_confirmation' AND i.confirmed_at <= :cutoff THEN 1 ELSE 0 END)
           AS manual_confirmations,
       SUM(CASE WHEN i.origin = 'platform_observed' THEN 1 ELSE 0 END) AS observed_items,
       SUM(CASE WHEN x.item_id IS NOT NULL THEN 1 ELSE 0 END) AS archive_bundles
FROM published_items i
LEFT JOIN confirmed_posts c ON c.post_id = i.post_id
LEFT JOIN archive_index x ON x.item_id = i.item_id AND x.archived_at <= :cutoff
WHERE (:account_id IS NULL OR i.account_id = :account_id)
  AND i.published_at >= :year_start AND i.published_at < :year_end AND i.published_at <= :cutoff
GROUP BY i.account_id
ORDER BY i.account_id
