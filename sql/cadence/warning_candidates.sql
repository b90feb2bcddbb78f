-- Early warning: accounts of the given policy judged in the running week (opened before it, not
-- closed before its Sunday, active and not suspended at any moment of it so far) that have
-- published nothing that counts since the week began and have nothing approved and scheduled
-- for the rest of the week.
WITH policy_accounts AS (
    SELECT account_id, name, platform, host_unit_id, state,
           ({{ sql.epoch_days('opened_on') }} + 9) / 7 AS first_full_week,
           CASE WHEN closed_on IS NULL THEN NULL ELSE ({{ sql.epoch_days('closed_on') }} + 4) / 7 - 1 END AS last_full_week
    FROM accounts
    WHERE policy_id = :policy_id AND opened_on IS NOT NULL AND state = 'active'
),
{% include "cadence/_state_changes.sql.j2" %}
SELECT a.account_id, a.name, a.platform, a.host_unit_id
FROM policy_accounts a
WHERE a.first_full_week <= :week
  AND (a.last_full_week IS NULL OR a.last_full_week >= :week)
  AND NOT EXISTS (
      SELECT 1 FROM state_changes s
      WHERE s.account_id = a.account_id AND s.new_state = 'suspended'
        AND s.occurred_at < :as_of AND (s.next_at IS NULL OR s.next_at > :week_start_at))
  AND NOT EXISTS (
      SELECT 1 FROM published_items i
      WHERE i.account_id = a.account_id
        AND i.published_at >= :week_start_at AND i.published_at < :as_of
        AND i.origin <> 'platform_observed'
        AND (i.platform_status IN ('live', 'unknown')
             OR (i.platform_status = 'deleted_by_user' AND :count_deleted)
             OR (i.platform_status = 'banned' AND :count_banned)))
  AND NOT EXISTS (
      SELECT 1 FROM posts p
      WHERE p.account_id = a.account_id AND p.state IN ('approved', 'dispatching')
        AND p.publish_at >= :as_of AND p.publish_at < :week_end_at)
ORDER BY a.host_unit_id, a.account_id
