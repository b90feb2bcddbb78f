-- Conditional: only a pending escalation becomes sent, once.
UPDATE comment_escalations SET state = 'sent', sent_at = :now
WHERE escalation_id = :escalation_id AND state = 'pending'
