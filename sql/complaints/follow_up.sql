-- Follow up (回访): the last step.
UPDATE complaints
SET state = 'followed_up', followed_up_at = :now, follow_up_note = :note, outcome = :outcome, updated_at = :now
WHERE complaint_id = :complaint_id AND state = 'answered'
