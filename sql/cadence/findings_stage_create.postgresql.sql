-- A per-transaction staging table for findings written in bulk (COPY, then one set-based upsert).
CREATE TEMP TABLE IF NOT EXISTS cadence_findings_stage (
    finding_id    TEXT NOT NULL,
    rule_id       TEXT NOT NULL,
    subject_type  TEXT NOT NULL,
    subject_id    TEXT NOT NULL,
    period        TEXT NOT NULL,
    severity      TEXT NOT NULL,
    summary       TEXT NOT NULL,
    evidence      TEXT NOT NULL,
    detected_by   TEXT NOT NULL
) ON COMMIT DROP
