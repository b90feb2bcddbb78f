-- Bulk load of post_events rows (CSV in the column order of insert_post_events.sql).
COPY post_events (event_id, post_id, state, reason, actor_id, occurred_at) FROM STDIN WITH (FORMAT csv)
