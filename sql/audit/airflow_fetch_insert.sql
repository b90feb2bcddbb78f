-- Audit run ledger: an audit window's fetch of Airflow's run history (its runs follow in the same transaction).
INSERT INTO airflow_run_fetches (fetch_id, year, cutoff_at, status, reason, source, dag_ids, from_at, to_at, run_count,
                                 fetched_at)
VALUES (:fetch_id, :year, :cutoff_at, :status, :reason, :source, :dag_ids, :from_at, :to_at, :run_count, :fetched_at)
