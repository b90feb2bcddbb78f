-- Airflow's own run history, as read through its REST API for an audit window (issue 14, the run ledger): the
-- annual pack matches it against Herald's pipeline ledger. One snapshot per audit window (year, cutoff): the
-- audit pack DAG fetches it once, in one transaction (the fetch row and its runs together, replacing an earlier
-- snapshot of the same window), and every pack of that window reads the same rows, so a rebuild with the same
-- year and cutoff reads the same history. A window whose api-server could not be reached keeps a fetch row with
-- status 'unavailable' and the reason, and no runs, unless an earlier fetch of that window succeeded.
CREATE TABLE airflow_run_fetches (
    fetch_id     TEXT PRIMARY KEY,            -- "<year>/<cutoff in UTC, ISO 8601>"
    year         INTEGER NOT NULL,
    cutoff_at    TIMESTAMP WITH TIME ZONE NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('fetched', 'unavailable')),
    reason       TEXT NOT NULL,               -- '' when fetched; why not (Chinese) otherwise
    source       TEXT NOT NULL,               -- the API call and its base URL
    dag_ids      TEXT NOT NULL,               -- JSON list of the DAGs asked for
    from_at      TIMESTAMP WITH TIME ZONE NOT NULL,  -- the run_after range asked for, [from_at, to_at)
    to_at        TIMESTAMP WITH TIME ZONE NOT NULL,
    run_count    INTEGER NOT NULL,
    fetched_at   TIMESTAMP WITH TIME ZONE NOT NULL,  -- operations only: never printed in a pack
    UNIQUE (year, cutoff_at)
);

CREATE TABLE airflow_run_history (
    fetch_id      TEXT NOT NULL REFERENCES airflow_run_fetches (fetch_id),
    dag_id        TEXT NOT NULL,
    run_id        TEXT NOT NULL,
    state         TEXT NOT NULL,
    run_type      TEXT NOT NULL,
    logical_at    TIMESTAMP WITH TIME ZONE,
    run_after_at  TIMESTAMP WITH TIME ZONE NOT NULL,
    started_at    TIMESTAMP WITH TIME ZONE,
    ended_at      TIMESTAMP WITH TIME ZONE,
    PRIMARY KEY (fetch_id, dag_id, run_id)
);
