-- Applications awaiting a decision on their current step (the approval router asks each one's step).
SELECT ap.application_id, ap.account_id, ap.chain, ap.current_step_no, ap.policy_id
FROM account_applications ap
WHERE ap.state = 'pending'
ORDER BY ap.submitted_at, ap.application_id
