INSERT INTO findings_stage (finding_id, rule_id, subject_type, subject_id, period, severity, summary, evidence,
                            detected_by)
VALUES (:finding_id, :rule_id, :subject_type, :subject_id, :period, :severity, :summary, :evidence, :detected_by)
