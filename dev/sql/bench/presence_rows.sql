-- Benchmark only: how many (account, week) rows the presence table holds.
SELECT COUNT(*) FROM cadence_presence
