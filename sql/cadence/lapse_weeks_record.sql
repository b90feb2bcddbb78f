-- The weeks [first_week, last_week] were judged and their findings recorded: cadence_lapse_state mirrors
-- them from now on. :weeks holds [week_index, label, ...] per week.
{% import "cadence/_week_bits.sql.j2" as bits with context %}
INSERT INTO cadence_lapse_weeks (week_index)
SELECT week_index
FROM {{ bits.window_weeks() }} AS w
WHERE week_index BETWEEN :first_week AND :last_week
ON CONFLICT (week_index) DO NOTHING
