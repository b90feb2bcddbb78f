-- How many findings of each rule are staged (to report, and to check them against the scan's scope).
SELECT rule_id, COUNT(*) AS findings
FROM findings_stage
GROUP BY rule_id
