-- The demo world generator records each world it builds: its seed, its as-of date and the span of its
-- history, so scans and tests can judge exactly the weeks the world's ground truth covers.
CREATE TABLE world_builds (
    build_id         TEXT PRIMARY KEY,
    seed             INTEGER NOT NULL,
    as_of_on         DATE NOT NULL,
    history_from_on  DATE NOT NULL,
    history_to_on    DATE NOT NULL,
    built_at         TIMESTAMP WITH TIME ZONE NOT NULL,
    summary          TEXT NOT NULL
);
