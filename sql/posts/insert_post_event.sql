INSERT INTO post_events (event_id, post_id, state, reason, actor_id, occurred_at)
VALUES (:event_id, :post_id, :state, :reason, :actor_id, :occurred_at)
