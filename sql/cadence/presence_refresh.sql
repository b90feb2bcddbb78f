-- Recount the weeks [first_week, last_week] from the publishing log (instants in [from_at, to_at)).
-- Week index = ((epoch + 8 h) div 1 day + 3) div 7: Asia/Shanghai is a fixed UTC+8, 1970-01-01 a
-- Thursday (herald.timeutil.epoch_to_local_week_index; integer division is floor for times after 1970).
-- An item is counted once per account, week and class however often it was logged (key: the
-- platform's item id; a row without one is an item of its own). Counting every row is one hash
-- aggregate into (account, week, class) groups; only the few platform items logged more than once
-- are then looked at item by item (repeated, repeats) and their extra rows taken off, instead of
-- sorting every log row of the window to drop duplicates. (INSERT first, its query WITH after: SQLite's
-- driver reports the rows written only for a statement that starts as one.)
{%- set week_index %}CAST((({{ sql.epoch_seconds('published_at') }} + 28800) / 86400 + 3) / 7 AS INTEGER){% endset %}
{%- set item_class %}CASE WHEN origin = 'platform_observed' THEN 'observed'
                          WHEN platform_status = 'deleted_by_user' THEN 'deleted'
                          WHEN platform_status = 'banned' THEN 'banned'
                          ELSE 'live' END{% endset %}
INSERT INTO cadence_presence (
    account_id, week_index, live_items, deleted_items, banned_items, observed_items, refreshed_at
)
WITH logged AS (
    SELECT account_id, {{ week_index }} AS week_index, {{ item_class }} AS item_class, COUNT(*) AS log_rows
    FROM published_items
    WHERE published_at >= :from_at AND published_at < :to_at
    GROUP BY account_id, {{ week_index }}, {{ item_class }}
),
repeated AS MATERIALIZED (
    SELECT account_id, platform_item_id
    FROM published_items
    WHERE published_at >= :from_at AND published_at < :to_at AND platform_item_id IS NOT NULL
    GROUP BY account_id, platform_item_id
    HAVING COUNT(*) > 1
),
repeats AS (
    -- Log rows of an (account, week, class) that repeat an item already counted there.
    SELECT i.account_id, {{ week_index }} AS week_index, {{ item_class }} AS item_class,
           COUNT(*) - COUNT(DISTINCT i.platform_item_id) AS extra_rows
    FROM published_items i
    JOIN repeated r ON r.account_id = i.account_id AND r.platform_item_id = i.platform_item_id
    WHERE i.published_at >= :from_at AND i.published_at < :to_at
    GROUP BY i.account_id, {{ week_index }}, {{ item_class }}
)
SELECT l.account_id, l.week_index,
       SUM(CASE WHEN l.item_class = 'live' THEN l.log_rows - COALESCE(r.extra_rows, 0) ELSE 0 END),
       SUM(CASE WHEN l.item_class = 'deleted' THEN l.log_rows - COALESCE(r.extra_rows, 0) ELSE 0 END),
       SUM(CASE WHEN l.item_class = 'banned' THEN l.log_rows - COALESCE(r.extra_rows, 0) ELSE 0 END),
       SUM(CASE WHEN l.item_class = 'observed' THEN l.log_rows - COALESCE(r.extra_rows, 0) ELSE 0 END),
       :now
FROM logged l
LEFT JOIN repeats r ON r.account_id = l.account_id AND r.week_index = l.week_index AND r.item_class = l.item_class
GROUP BY l.account_id, l.week_index
