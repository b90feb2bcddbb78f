-- Benchmark only: a kept scale world back to its state right after the build (nothing scanned yet).
TRUNCATE cadence_presence, cadence_week_bits, cadence_lapse_state, cadence_lapse_weeks, findings
