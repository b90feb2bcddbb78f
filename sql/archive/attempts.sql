-- Every platform call made for each given item's post, and what came of it.
SELECT pi.item_id, d.attempt_id, d.attempt_no, d.operation, d.outcome, d.error_code, d.error_message, d.response,
       d.started_at, d.finished_at
FROM published_items pi
JOIN dispatch_attempts d ON d.post_id = pi.post_id
WHERE pi.item_id IN (SELECT value FROM json_each(:item_ids))
ORDER BY pi.item_id, d.attempt_no
