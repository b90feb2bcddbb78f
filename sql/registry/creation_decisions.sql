-- The latest decision on each creation-approval step (ACC-2) of every account.
SELECT e.account_id, e.step, e.decision, e.actor_id, e.occurred_at
FROM account_events e
WHERE e.kind = 'creation_step'
  AND NOT EXISTS (
      SELECT 1 FROM account_events later
      WHERE later.account_id = e.account_id
        AND later.kind = 'creation_step'
        AND later.step = e.step
        AND (later.occurred_at > e.occurred_at
             OR (later.occurred_at = e.occurred_at AND later.event_id > e.event_id))
  )
ORDER BY e.account_id, e.occurred_at
