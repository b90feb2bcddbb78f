INSERT INTO account_events (event_id, account_id, kind, step, actor_id, from_person_id, to_person_id, occurred_at,
                            filed_at, detail)
VALUES (:event_id, :account_id, :kind, :step, :actor_id, :from_person_id, :to_person_id, :occurred_at, :filed_at,
        :detail)
