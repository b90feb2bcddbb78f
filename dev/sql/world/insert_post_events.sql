-- One post_events row of the demo world (SQLite path of copy_rows, and small inserts).
INSERT INTO post_events (event_id, post_id, state, reason, actor_id, occurred_at)
VALUES (:event_id, :post_id, :state, :reason, :actor_id, :occurred_at)
