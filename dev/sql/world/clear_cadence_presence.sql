-- Part of replacing the demo world: everything in cadence_presence goes (it describes the old world).
DELETE FROM cadence_presence
