INSERT INTO comment_deliveries (escalation_id, audience, unit_id, channel, delivered_at)
VALUES (:escalation_id, :audience, :unit_id, :channel, :delivered_at)
ON CONFLICT (escalation_id, audience, unit_id, channel) DO NOTHING
