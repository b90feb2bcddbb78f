-- Audit run ledger: forget an audit window's fetch row before its new snapshot is written (same transaction).
DELETE FROM airflow_run_fetches WHERE fetch_id = :fetch_id
