-- The most recently built demo world, if any.
SELECT build_id, seed, as_of_on, history_from_on, history_to_on, built_at, summary
FROM world_builds
ORDER BY built_at DESC, build_id DESC
LIMIT 1
