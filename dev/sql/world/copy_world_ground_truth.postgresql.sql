-- Bulk load of world_ground_truth rows (CSV in the column order of insert_world_ground_truth.sql).
COPY world_ground_truth (rule_id, subject_id, period, description) FROM STDIN WITH (FORMAT csv)
