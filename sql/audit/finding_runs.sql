-- Audit run ledger: the ledger tries of the detectors that recorded the year's findings ("<dag_id>.<task_id>",
-- findings.detected_by), so each finding leads to the run that first detected it, with that run's inputs and
-- counts (matched by time in include/herald/audit/run_history.py). Tries started by the cutoff.
SELECT l.ledger_id, l.dag_id, l.run_id, l.task_id, l.try_number, l.status, l.started_at, l.finished_at,
       l.inputs, l.row_counts
FROM pipeline_ledger l
WHERE l.status = 'success' AND l.started_at <= :cutoff AND l.finished_at >= :from_at
ORDER BY l.dag_id, l.task_id, l.started_at, l.run_id, l.try_number
