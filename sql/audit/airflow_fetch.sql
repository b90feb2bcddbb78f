-- Audit run ledger: the stored fetch of Airflow's run history for one audit window (sql/migrations/0013).
SELECT f.fetch_id, f.year, f.cutoff_at, f.status, f.reason, f.source, f.dag_ids, f.from_at, f.to_at, f.run_count
FROM airflow_run_fetches f
WHERE f.fetch_id = :fetch_id
