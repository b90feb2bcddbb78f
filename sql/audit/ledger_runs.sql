-- Audit group pack: the pipeline runs Herald recorded during the year up to the cutoff (its pipeline ledger), so
-- an auditor can reach the run, its inputs and its counts behind each finding.
SELECT l.ledger_id, l.dag_id, l.run_id, l.task_id, l.try_number, l.status, l.started_at, l.finished_at,
       l.inputs, l.outputs, l.row_counts
FROM pipeline_ledger l
WHERE l.started_at >= :year_start AND l.started_at < :year_end AND l.started_at <= :cutoff
ORDER BY l.started_at, l.dag_id, l.run_id, l.task_id, l.try_number
