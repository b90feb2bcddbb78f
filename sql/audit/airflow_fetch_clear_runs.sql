-- Audit run ledger: forget an audit window's stored Airflow runs before its new snapshot is written (same transaction).
DELETE FROM airflow_run_history WHERE fetch_id = :fetch_id
