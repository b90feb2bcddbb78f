-- One account_events row of the demo world (SQLite path of copy_rows, and small inserts).
INSERT INTO account_events (event_id, account_id, kind, step, decision, actor_id, from_person_id, to_person_id, new_state, occurred_at, filed_at, detail)
VALUES (:event_id, :account_id, :kind, :step, :decision, :actor_id, :from_person_id, :to_person_id, :new_state, :occurred_at, :filed_at, :detail)
