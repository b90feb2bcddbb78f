-- Benchmark only: the accounts a cadence scan judges, with their opening and closing days.
SELECT account_id, opened_on, closed_on, state
FROM accounts
ORDER BY account_id
