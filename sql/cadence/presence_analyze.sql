-- Fresh planner statistics for cadence_presence after a recount: the judging query's plan depends
-- on how many (account, week) rows there are, and a recount can take the table from empty to a row
-- per account and week at once (autovacuum may be off, or not have come round yet).
ANALYZE cadence_presence
