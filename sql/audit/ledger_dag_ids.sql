-- Audit run ledger: the DAGs that wrote Herald's pipeline ledger in [:from_at, :to_at) by the cutoff (whose
-- Airflow run history the audit pack fetches, beside the DAGs known to write it).
SELECT DISTINCT l.dag_id
FROM pipeline_ledger l
WHERE l.started_at >= :from_at AND l.started_at < :to_at AND l.started_at <= :cutoff
ORDER BY l.dag_id
