-- Audit pack tie-out: the findings of the year in the database, counted without the pack's subject-to-account
-- mapping or state reconstruction (same period and cutoff rules as findings.sql). Per account only where the
-- subject names the account directly or through one table; :account_id NULL counts every finding of the year.
SELECT COUNT(*) AS findings
FROM findings f
WHERE f.first_detected_at <= :cutoff
  AND (f.period LIKE :year_prefix
       OR ((f.period = 'standing' OR f.period LIKE 'directory:%') AND (f.resolved_at IS NULL OR f.resolved_at >= :year_start)))
  AND (:account_id IS NULL
       OR (f.subject_type = 'account' AND f.subject_id = :account_id)
       OR (f.subject_type = 'account_operator' AND SUBSTR(f.subject_id, 1, LENGTH(:account_id) + 1) = :account_id || '/')
       OR (f.subject_type = 'post' AND f.subject_id IN (SELECT p.post_id FROM posts p WHERE p.account_id = :account_id))
       OR (f.subject_type = 'published_item'
           AND f.subject_id IN (SELECT i.item_id FROM published_items i WHERE i.account_id = :account_id))
       OR (f.subject_type = 'account_event'
           AND f.subject_id IN (SELECT e.event_id FROM account_events e WHERE e.account_id = :account_id))
       OR (f.subject_type = 'complaint'
           AND EXISTS (SELECT 1 FROM complaints c WHERE c.account_id = :account_id
                       AND SUBSTR(f.subject_id, 1, LENGTH(c.complaint_id) + 1) = c.complaint_id || '/'))
       OR (f.subject_type = 'credential_rotation'
           AND f.subject_id IN (SELECT r.rotation_id FROM credential_rotations r WHERE r.account_id = :account_id)))
