-- Audit run ledger: Airflow's runs as stored by the audit window's fetch (sql/migrations/0013), in a stable order.
SELECT r.dag_id, r.run_id, r.state, r.run_type, r.logical_at, r.run_after_at, r.started_at, r.ended_at
FROM airflow_run_history r
WHERE r.fetch_id = :fetch_id
ORDER BY r.dag_id, r.run_id
