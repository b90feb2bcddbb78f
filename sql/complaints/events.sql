-- A complaint's history, oldest first, with the actor's name where the actor is a person.
SELECT e.event_id, e.from_state, e.to_state, e.actor, p.name AS actor_name, e.via, e.detail, e.os_user, e.occurred_at
FROM complaint_events e
LEFT JOIN people p ON p.person_id = e.actor
WHERE e.complaint_id = :complaint_id
ORDER BY e.occurred_at, e.event_id
