-- The weeks [first_week, last_week] were judged and their findings recorded: cadence_lapse_state mirrors
-- them from now on. :weeks holds [week_index, ...] per week.
INSERT INTO cadence_lapse_weeks (week_index)
SELECT CAST(week_index AS INTEGER)
FROM ({{ sql.json_array_rows(':weeks', ['week_index']) }}) AS w
WHERE CAST(week_index AS INTEGER) BETWEEN :first_week AND :last_week
ON CONFLICT (week_index) DO NOTHING
