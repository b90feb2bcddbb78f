-- Assign (受理) or reassign (the first assignment stops the clock): only from the state the caller read, so two people acting at once cannot both succeed.
UPDATE complaints
SET state = 'assigned', assignee_id = :assignee_id, assigned_at = COALESCE(assigned_at, :now), updated_at = :now
WHERE complaint_id = :complaint_id AND state = :from_state
