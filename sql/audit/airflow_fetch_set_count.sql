-- Audit run ledger: the number of runs stored by a fetch, once they are all written.
UPDATE airflow_run_fetches SET run_count = :run_count WHERE fetch_id = :fetch_id
