-- One world_ground_truth row of the demo world (SQLite path of copy_rows, and small inserts).
INSERT INTO world_ground_truth (rule_id, subject_id, period, description)
VALUES (:rule_id, :subject_id, :period, :description)
