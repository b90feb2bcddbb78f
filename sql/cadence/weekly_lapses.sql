-- PUB-5: the weeks in [first_week, last_week] in which an account of the given policy published
-- fewer than min_items counting items. A week is judged only if the account was open all of it
-- (opened_on is the first open day: the opening week counts only if that is its Monday; closed_on
-- is the last open day: the closing week counts only if that is its Sunday) and was not suspended
-- at any moment of it (state_change 'suspended' until the next state change, half-open; a current
-- state 'suspended' without its event counts from the record's last update). Day numbers are days
-- since 1970-01-01, week = (day + 3) div 7, as in herald.timeutil.
WITH RECURSIVE weeks (week_index) AS (
    SELECT CAST(:first_week AS INTEGER)
    UNION ALL
    SELECT week_index + 1 FROM weeks WHERE week_index < :last_week
),
policy_accounts AS (
    SELECT account_id, name, platform, host_unit_id, state, updated_at,
           ({{ sql.epoch_days('opened_on') }} + 9) / 7 AS first_full_week,
           CASE WHEN closed_on IS NULL THEN NULL ELSE ({{ sql.epoch_days('closed_on') }} + 4) / 7 - 1 END AS last_full_week
    FROM accounts
    WHERE policy_id = :policy_id AND opened_on IS NOT NULL
),
state_changes AS (
    SELECT e.account_id, e.new_state, e.occurred_at,
           LEAD(e.occurred_at) OVER (PARTITION BY e.account_id ORDER BY e.occurred_at, e.event_id) AS next_at
    FROM account_events e
    JOIN policy_accounts a ON a.account_id = e.account_id
    WHERE e.kind = 'state_change'
),
suspensions AS (
    SELECT account_id,
           (({{ sql.epoch_seconds('occurred_at') }} + 28800) / 86400 + 3) / 7 AS first_week,
           CASE WHEN next_at IS NULL THEN CAST(:last_week AS INTEGER)
                ELSE (({{ sql.epoch_seconds('next_at') }} - 1 + 28800) / 86400 + 3) / 7 END AS last_week
    FROM state_changes
    WHERE new_state = 'suspended'
    UNION ALL
    SELECT a.account_id,
           (({{ sql.epoch_seconds('a.updated_at') }} + 28800) / 86400 + 3) / 7,
           CAST(:last_week AS INTEGER)
    FROM policy_accounts a
    WHERE a.state = 'suspended'
      AND NOT EXISTS (SELECT 1 FROM state_changes s
                      WHERE s.account_id = a.account_id AND s.next_at IS NULL AND s.new_state = 'suspended')
),
expected AS (
    SELECT a.account_id, a.name, a.platform, a.host_unit_id, w.week_index
    FROM policy_accounts a
    JOIN weeks w ON w.week_index >= a.first_full_week
                AND (a.last_full_week IS NULL OR w.week_index <= a.last_full_week)
)
SELECT e.account_id, e.name, e.platform, e.host_unit_id, e.week_index,
       COALESCE(p.live_items, 0) AS live_items,
       COALESCE(p.deleted_items, 0) AS deleted_items,
       COALESCE(p.banned_items, 0) AS banned_items,
       COALESCE(p.observed_items, 0) AS observed_items
FROM expected e
LEFT JOIN cadence_presence p ON p.account_id = e.account_id AND p.week_index = e.week_index
WHERE COALESCE(p.live_items, 0)
      + CASE WHEN :count_deleted THEN COALESCE(p.deleted_items, 0) ELSE 0 END
      + CASE WHEN :count_banned THEN COALESCE(p.banned_items, 0) ELSE 0 END < :min_items
  AND NOT EXISTS (SELECT 1 FROM suspensions s
                  WHERE s.account_id = e.account_id AND e.week_index BETWEEN s.first_week AND s.last_week)
ORDER BY e.account_id, e.week_index
