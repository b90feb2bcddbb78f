INSERT INTO pipeline_ledger (
    ledger_id, dag_id, run_id, task_id, try_number, data_interval_start_at, data_interval_end_at,
    inputs, outputs, row_counts, status, started_at, finished_at
) VALUES (
    :ledger_id, :dag_id, :run_id, :task_id, :try_number, :data_interval_start_at, :data_interval_end_at,
    :inputs, :outputs, :row_counts, :status, :started_at, :finished_at
)
ON CONFLICT (dag_id, run_id, task_id, try_number) DO UPDATE SET
    inputs = excluded.inputs,
    outputs = excluded.outputs,
    row_counts = excluded.row_counts,
    status = excluded.status,
    finished_at = excluded.finished_at
