-- The planted violations of the demo world, by rule.
SELECT rule_id, subject_id, period, description
FROM world_ground_truth
ORDER BY rule_id, subject_id, period
