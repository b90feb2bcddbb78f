-- How many of the weeks [first_week, last_week] cadence_lapse_state mirrors the PUB-5 findings of.
SELECT COUNT(*) FROM cadence_lapse_weeks WHERE week_index BETWEEN :first_week AND :last_week
