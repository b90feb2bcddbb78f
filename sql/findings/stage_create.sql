-- Findings are written through a staging table: rows in bulk (COPY on PostgreSQL), then one
-- set-based upsert. The temporary table lives as long as the connection; each write empties it first.
CREATE TEMP TABLE IF NOT EXISTS findings_stage (
    finding_id    TEXT NOT NULL,
    rule_id       TEXT NOT NULL,
    subject_type  TEXT NOT NULL,
    subject_id    TEXT NOT NULL,
    period        TEXT NOT NULL,
    severity      TEXT NOT NULL,
    summary       TEXT NOT NULL,
    evidence      TEXT NOT NULL,
    detected_by   TEXT NOT NULL
)
