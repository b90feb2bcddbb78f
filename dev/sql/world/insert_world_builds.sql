-- The record of one built demo world.
INSERT INTO world_builds (build_id, seed, as_of_on, history_from_on, history_to_on, built_at, summary)
VALUES (:build_id, :seed, :as_of_on, :history_from_on, :history_to_on, :built_at, :summary)
