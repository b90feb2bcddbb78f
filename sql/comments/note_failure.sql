UPDATE comment_escalations SET attempts = attempts + 1, last_error = :error
WHERE escalation_id = :escalation_id AND state = 'pending'
