-- One change of a complaint's state (append-only).
INSERT INTO complaint_events (event_id, complaint_id, from_state, to_state, actor, via, detail, os_user, occurred_at)
VALUES (:event_id, :complaint_id, :from_state, :to_state, :actor, :via, :detail, :os_user, :now)
