-- The demo world's bookkeeping (its builds and its planted violations) is tooling, not product: it moves to the
-- demo's own schema (dev/sql/demo/schema.sql, applied by herald_dev when it builds a world). A demo database
-- built before this loses only what the next `make demo` rebuilds anyway.
DROP TABLE IF EXISTS world_ground_truth;
DROP TABLE IF EXISTS world_builds;
