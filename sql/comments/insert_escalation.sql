-- Recorded once per subject (a comment, or a crisis finding): a re-run finds it there and adds nothing.
INSERT INTO comment_escalations (escalation_id, subject_key, comment_key, finding_id, account_id, host_unit_id, kind,
                                 summary, state, evidence_path, evidence_sha256, detected_at, attempts)
VALUES (:escalation_id, :subject_key, :comment_key, :finding_id, :account_id, :host_unit_id, :kind,
        :summary, 'pending', :evidence_path, :evidence_sha256, :detected_at, 0)
ON CONFLICT (subject_key) DO NOTHING
