-- Audit run ledger: Herald's pipeline ledger summed up per pipeline run (DAG and run id) for matching against
-- Airflow's run history (include/herald/audit/run_history.py). Ledger rows started in [:from_at, :to_at) and by
-- the cutoff; the range is the audit year widened by a margin so a run that straddles the year's edge is seen on
-- both sides. A run failed in Herald's eyes when the last try of any of its tasks failed.
WITH tries AS (
    SELECT l.ledger_id, l.dag_id, l.run_id, l.task_id, l.try_number, l.status, l.started_at, l.finished_at
    FROM pipeline_ledger l
    WHERE l.started_at >= :from_at AND l.started_at < :to_at AND l.started_at <= :cutoff
),
last_try AS (
    SELECT t.dag_id, t.run_id, t.task_id, MAX(t.try_number) AS try_number
    FROM tries t
    GROUP BY t.dag_id, t.run_id, t.task_id
)
SELECT t.dag_id, t.run_id, MIN(t.started_at) AS first_started_at, MAX(t.finished_at) AS last_finished_at,
       COUNT(DISTINCT t.task_id) AS tasks, COUNT(*) AS tries,
       SUM(CASE WHEN lt.task_id IS NOT NULL AND t.status = 'failed' THEN 1 ELSE 0 END) AS failed_tasks,
       MIN(t.ledger_id) AS first_ledger_id
FROM tries t
LEFT JOIN last_try lt
       ON lt.dag_id = t.dag_id AND lt.run_id = t.run_id AND lt.task_id = t.task_id AND lt.try_number = t.try_number
GROUP BY t.dag_id, t.run_id
ORDER BY t.dag_id, t.run_id
