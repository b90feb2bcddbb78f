-- Findings already recorded among :finding_ids (a JSON array): a failure notice already sent is not sent again.
SELECT finding_id, state, evidence
FROM findings
WHERE finding_id IN ({{ sql.json_text_elements(':finding_ids') }})
