-- Totals for a run note and the bench: comments stored, escalations pending and sent.
SELECT (SELECT COUNT(*) FROM comments) AS comments,
       (SELECT COUNT(*) FROM comment_escalations WHERE state = 'pending') AS pending,
       (SELECT COUNT(*) FROM comment_escalations WHERE state = 'sent') AS sent
