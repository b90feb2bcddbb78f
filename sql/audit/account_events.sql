-- Audit pack (ACC-4, ACC-5): filed changes, handovers and state changes of the year up to the cutoff,
-- people by name.
SELECT e.event_id, e.account_id, e.kind, e.step, e.decision, e.actor_id, ac.name AS actor_name,
       e.from_person_id, fp.name AS from_person_name, e.to_person_id, tp.name AS to_person_name,
       e.new_state, e.occurred_at, e.filed_at, e.detail
FROM account_events e
LEFT JOIN people ac ON ac.person_id = e.actor_id
LEFT JOIN people fp ON fp.person_id = e.from_person_id
LEFT JOIN people tp ON tp.person_id = e.to_person_id
WHERE (:account_id IS NULL OR e.account_id = :account_id)
  AND e.kind IN ('change_filed', 'handover', 'state_change')
  AND e.occurred_at >= :year_start AND e.occurred_at < :year_end AND e.occurred_at <= :cutoff
ORDER BY e.account_id, e.occurred_at, e.event_id
