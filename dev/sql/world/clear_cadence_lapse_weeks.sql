-- Part of replacing the demo world: the cadence scan's record of the old world goes with it.
DELETE FROM cadence_lapse_weeks
