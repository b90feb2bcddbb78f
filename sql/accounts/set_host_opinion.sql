-- The host unit's opinion of the registration form (ACC-3): signed by whoever approved the policy's opinion step.
UPDATE accounts
SET host_unit_opinion_by = :person_id, host_unit_opinion_on = :on,
    is_host_unit_sealed = COALESCE(:is_sealed, is_host_unit_sealed), updated_at = :now
WHERE account_id = :account_id
