-- Audit run ledger: bulk load of a fetch's Airflow runs (CSV in the column order of airflow_runs_insert.sql).
COPY airflow_run_history (fetch_id, dag_id, run_id, state, run_type, logical_at, run_after_at, started_at, ended_at)
FROM STDIN WITH (FORMAT csv)
