-- Bulk load of account_events rows (CSV in the column order of insert_account_events.sql).
COPY account_events (event_id, account_id, kind, step, decision, actor_id, from_person_id, to_person_id, new_state, occurred_at, filed_at, detail) FROM STDIN WITH (FORMAT csv)
