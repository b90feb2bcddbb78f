-- Audit pack (PUB-5): items per account and ISO week of the audit week-year ([weeks_start, weeks_end): Monday of
-- week 1 to the Monday after the last week, Shanghai midnight in UTC), by the classes the weekly rule weighs.
-- Week numbers as herald.timeutil.epoch_to_local_week_index; only items published by the cutoff.
SELECT i.account_id,
       (({{ sql.epoch_seconds('i.published_at') }} + 28800) / 86400 + 3) / 7 AS week_index,
       SUM(CASE WHEN i.origin <> 'platform_observed' AND i.platform_status IN ('live', 'unknown') THEN 1 ELSE 0 END)
           AS live_items,
       SUM(CASE WHEN i.origin <> 'platform_observed' AND i.platform_status = 'deleted_by_user' THEN 1 ELSE 0 END)
           AS deleted_items,
       SUM(CASE WHEN i.origin <> 'platform_observed' AND i.platform_status = 'banned' THEN 1 ELSE 0 END)
           AS banned_items,
       SUM(CASE WHEN i.origin = 'platform_observed' THEN 1 ELSE 0 END) AS observed_items
FROM published_items i
WHERE (:account_id IS NULL OR i.account_id = :account_id)
  AND i.published_at >= :weeks_start AND i.published_at < :weeks_end AND i.published_at <= :cutoff
GROUP BY i.account_id, (({{ sql.epoch_seconds('i.published_at') }} + 28800) / 86400 + 3) / 7
ORDER BY i.account_id, week_index
