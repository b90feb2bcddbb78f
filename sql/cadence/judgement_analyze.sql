-- Planner statistics for the judgement just written (temporary tables are never analysed automatically):
-- composing a handful of changed findings and composing a year of them call for different joins.
ANALYZE cadence_judgement
