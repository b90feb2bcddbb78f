UPDATE account_events
SET filed_at = :filed_at
WHERE event_id = :event_id AND filed_at IS NULL
