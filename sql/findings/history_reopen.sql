-- History of the staged findings that findings/upsert is about to reopen (resolved, seen again by a scan).
-- Run just before the upsert, in the same transaction. :batch makes the ids of one statement unique.
INSERT INTO finding_history (history_id, finding_id, from_state, to_state, actor, via, reason, os_user, occurred_at)
SELECT :batch || s.finding_id, s.finding_id, 'resolved', 'open', s.detected_by, 'scan', NULL, NULL, :now
FROM findings_stage s
JOIN findings f ON f.finding_id = s.finding_id
WHERE f.state = 'resolved'
