-- Compare-and-set: the step moves on only from the step the decision was made on; the caller checks one row changed.
UPDATE account_applications
SET current_step_no = :next_step_no, state = :new_state, state_reason = :reason, decided_at = :decided_at,
    updated_at = :now
WHERE application_id = :application_id AND state = 'pending' AND current_step_no = :step_no
