-- The decisions on the posts of posts/marked_posts (same filter), for their extra steps' signatures.
SELECT s.post_id, s.step_no, s.role, s.approver_id, pe.name AS approver_name, s.decision, s.via, s.content_hash,
       s.decided_at
FROM approval_steps s
JOIN posts p ON p.post_id = s.post_id
JOIN people pe ON pe.person_id = s.approver_id
WHERE (CAST(:account_id AS TEXT) IS NULL OR p.account_id = CAST(:account_id AS TEXT))
  AND p.publish_at >= :from_at AND p.publish_at < :to_at
  AND (p.sensitive_marks <> '[]' OR p.is_paid_repost OR p.screening LIKE '%"sensitive_terms": ["%')
ORDER BY s.post_id, s.decided_at, s.step_no
