-- Bulk load of staged findings (CSV in the column order of stage_insert.sql).
COPY findings_stage (finding_id, rule_id, subject_type, subject_id, period, severity, summary, evidence, detected_by)
FROM STDIN WITH (FORMAT csv)
