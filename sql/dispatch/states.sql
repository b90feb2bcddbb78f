-- Dispatch overview: posts by state (tests and the benchmark check nothing is left without a state).
SELECT state, COUNT(*) AS posts FROM posts GROUP BY state ORDER BY state
