-- Airflow's own job table (metadata database): the components that heartbeat, counted by `make stack`'s health
-- check. A job is running when its state says so and its heartbeat is recent (after :since).
SELECT job_type, hostname, latest_heartbeat
FROM job
WHERE state = 'running' AND latest_heartbeat > :since
ORDER BY job_type, id
