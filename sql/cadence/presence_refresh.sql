-- Recount the weeks [first_week, last_week] from the publishing log (instants in [from_at, to_at)).
-- Week index = ((epoch + 8 h) div 1 day + 3) div 7: Asia/Shanghai is a fixed UTC+8, 1970-01-01 a
-- Thursday (herald.timeutil.epoch_to_local_week_index; integer division is floor for times after 1970).
-- An item is counted once per account however often it was logged (key: the platform's item id).
INSERT INTO cadence_presence (
    account_id, week_index, live_items, deleted_items, banned_items, observed_items, refreshed_at
)
SELECT account_id, week_index,
       SUM(CASE WHEN item_class = 'live' THEN 1 ELSE 0 END),
       SUM(CASE WHEN item_class = 'deleted' THEN 1 ELSE 0 END),
       SUM(CASE WHEN item_class = 'banned' THEN 1 ELSE 0 END),
       SUM(CASE WHEN item_class = 'observed' THEN 1 ELSE 0 END),
       :now
FROM (
    SELECT DISTINCT
           account_id,
           CAST((({{ sql.epoch_seconds('published_at') }} + 28800) / 86400 + 3) / 7 AS INTEGER) AS week_index,
           CASE WHEN origin = 'platform_observed' THEN 'observed'
                WHEN platform_status = 'deleted_by_user' THEN 'deleted'
                WHEN platform_status = 'banned' THEN 'banned'
                ELSE 'live' END AS item_class,
           COALESCE(platform_item_id, item_id) AS item_key
    FROM published_items
    WHERE published_at >= :from_at AND published_at < :to_at
) AS items
GROUP BY account_id, week_index
