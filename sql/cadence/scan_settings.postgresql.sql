-- For the rest of the scan's transaction only. JIT compilation of the judging and counting queries
-- costs more than it saves (seconds on every run, against a statement that runs in well under one),
-- and the (account, week) joins and aggregates of a year at 10,000 accounts fit in memory with more
-- than the default work_mem instead of spilling to disk.
SELECT set_config('jit', 'off', true), set_config('work_mem', '128MB', true)
