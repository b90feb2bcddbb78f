INSERT INTO delegation_events (event_id, delegation_id, state, actor_id, reason, occurred_at)
VALUES (:event_id, :delegation_id, :state, :actor_id, :reason, :occurred_at)
