-- A finding's changes of state, oldest first, with the name of the person who made each (none for scans).
SELECT h.history_id, h.finding_id, h.from_state, h.to_state, h.actor, p.name AS actor_name, h.via, h.reason,
       h.os_user, h.occurred_at
FROM finding_history h
LEFT JOIN people p ON p.person_id = h.actor
WHERE h.finding_id = :finding_id
ORDER BY h.occurred_at, h.history_id
