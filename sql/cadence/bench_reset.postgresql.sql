-- Benchmark only: a kept scale world back to its state right after the build (nothing scanned yet).
TRUNCATE cadence_presence, findings
