-- The demo world's own tables, beside Herald's schema in the same database (never in the product's
-- migrations: an Airflow deployment has no demo world). Idempotent; applied by herald_dev.schema.

-- Each world the generator builds: its seed, its as-of date and the span of its history, so scans and
-- tests can judge exactly the weeks the world's ground truth covers.
CREATE TABLE IF NOT EXISTS world_builds (
    build_id         TEXT PRIMARY KEY,
    seed             INTEGER NOT NULL,
    as_of_on         DATE NOT NULL,
    history_from_on  DATE NOT NULL,
    history_to_on    DATE NOT NULL,
    built_at         TIMESTAMP WITH TIME ZONE NOT NULL,
    summary          TEXT NOT NULL
);

-- Deliberate violations planted by the generator: the demo's and the tests' ground truth.
CREATE TABLE IF NOT EXISTS world_ground_truth (
    rule_id      TEXT NOT NULL,
    subject_id   TEXT NOT NULL,
    period       TEXT NOT NULL,
    description  TEXT NOT NULL,
    PRIMARY KEY (rule_id, subject_id, period)
);
