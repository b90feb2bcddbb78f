-- The creation-step decisions and state changes of one account, in order, with the actor's name.
SELECT e.event_id, e.kind, e.step, e.decision, e.actor_id, pe.name AS actor_name, e.new_state, e.occurred_at, e.detail
FROM account_events e
LEFT JOIN people pe ON pe.person_id = e.actor_id
WHERE e.account_id = :account_id
  AND e.kind IN ('creation_step', 'state_change')
ORDER BY e.occurred_at, e.event_id
