-- The lapses the judgement holds in its report weeks (each a PUB-5 finding open after the scan).
SELECT COALESCE(SUM({{ sql.bit_count('lapse_bits & report_bits') }}), 0) FROM cadence_judgement
