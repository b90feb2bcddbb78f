-- Accounts with a comment-surge crisis finding (SEC-3) still open or acknowledged: a surge that goes on is the
-- same crisis, not a new one.
SELECT DISTINCT subject_id AS account_id
FROM findings
WHERE rule_id = 'SEC-3' AND subject_type = 'account' AND state IN ('open', 'acknowledged')
  AND detected_by LIKE 'comment_watch%'
