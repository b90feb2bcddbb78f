-- Audit run ledger: one Airflow run of a fetch (SQLite; PostgreSQL loads them with airflow_runs_copy).
INSERT INTO airflow_run_history (fetch_id, dag_id, run_id, state, run_type, logical_at, run_after_at, started_at, ended_at)
VALUES (:fetch_id, :dag_id, :run_id, :state, :run_type, :logical_at, :run_after_at, :started_at, :ended_at)
