-- One account event (a creation step's decision, or the state change that opens the account).
INSERT INTO account_events (event_id, account_id, kind, step, decision, actor_id, new_state, occurred_at, detail)
VALUES (:event_id, :account_id, :kind, :step, :decision, :actor_id, :new_state, :occurred_at, :detail)
