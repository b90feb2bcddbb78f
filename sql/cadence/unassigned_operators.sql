-- ACC-5: per account, operator and Shanghai week, the days on which someone published on an account
-- without an operator assignment for it that day (role_assignments: role 'operator', valid_from_on
-- <= day <= valid_to_on, open-ended when valid_to_on is NULL): a handover that was never filed.
WITH operator_days AS (
    SELECT account_id, operator_id,
           ({{ sql.epoch_seconds('published_at') }} + 28800) / 86400 AS day_number,
           COUNT(*) AS items
    FROM published_items
    WHERE operator_id IS NOT NULL AND origin <> 'platform_observed'
      AND published_at >= :from_at AND published_at < :to_at
    GROUP BY account_id, operator_id, ({{ sql.epoch_seconds('published_at') }} + 28800) / 86400
)
SELECT d.account_id, a.name, a.platform, a.host_unit_id, a.policy_id, d.operator_id,
       p.name AS operator_name,
       (d.day_number + 3) / 7 AS week_index,
       MIN(d.day_number) AS first_day, MAX(d.day_number) AS last_day,
       COUNT(*) AS days, SUM(d.items) AS items
FROM operator_days d
JOIN accounts a ON a.account_id = d.account_id
LEFT JOIN people p ON p.person_id = d.operator_id
WHERE NOT EXISTS (
    SELECT 1 FROM role_assignments r
    WHERE r.role = 'operator' AND r.account_id = d.account_id AND r.person_id = d.operator_id
      AND r.valid_from_on <= {{ sql.date_of_epoch_day('d.day_number') }}
      AND (r.valid_to_on IS NULL OR r.valid_to_on >= {{ sql.date_of_epoch_day('d.day_number') }}))
GROUP BY d.account_id, a.name, a.platform, a.host_unit_id, a.policy_id, d.operator_id, p.name, (d.day_number + 3) / 7
ORDER BY d.account_id, d.operator_id, week_index
