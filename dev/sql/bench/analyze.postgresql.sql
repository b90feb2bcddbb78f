-- Benchmark only: fresh planner statistics after a bulk load.
ANALYZE
