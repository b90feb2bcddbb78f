-- Answer (答复): starts the follow-up clock.
UPDATE complaints
SET state = 'answered', answer = :answer, answered_at = :now, follow_up_due_at = :follow_up_due_at, updated_at = :now
WHERE complaint_id = :complaint_id AND state = 'assigned'
