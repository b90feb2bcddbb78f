SELECT ledger_id, dag_id, run_id, task_id, try_number, data_interval_start_at, data_interval_end_at,
       inputs, outputs, row_counts, status, started_at, finished_at
FROM pipeline_ledger
WHERE dag_id = :dag_id
ORDER BY started_at, task_id
