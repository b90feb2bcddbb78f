-- ACC-4: changes of an account (account_events 'change_filed') that occurred in the window, with
-- the Shanghai day numbers of the change and of its filing (NULL while not filed).
SELECT e.event_id, e.account_id, a.name, a.platform, a.host_unit_id, a.policy_id, e.step, e.detail,
       e.occurred_at, e.filed_at,
       ({{ sql.epoch_seconds('e.occurred_at') }} + 28800) / 86400 AS occurred_day,
       ({{ sql.epoch_seconds('e.filed_at') }} + 28800) / 86400 AS filed_day
FROM account_events e
JOIN accounts a ON a.account_id = e.account_id
WHERE e.kind = 'change_filed'
  AND e.occurred_at >= :from_at AND e.occurred_at < :to_at
ORDER BY e.account_id, e.occurred_at, e.event_id
