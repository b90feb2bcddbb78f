DELETE FROM findings_stage
