-- The policy packs the opened accounts are governed by: each is judged with its own cadence values.
SELECT DISTINCT policy_id
FROM accounts
WHERE opened_on IS NOT NULL
ORDER BY policy_id
