-- The competent department's opinion of the registration form (ACC-3).
UPDATE accounts
SET competent_opinion_by = :person_id, competent_opinion_on = :on, updated_at = :now
WHERE account_id = :account_id
