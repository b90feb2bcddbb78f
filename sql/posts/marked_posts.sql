-- Posts whose chain has the steps of CON-5 or CON-6 (the author's marks, or a sensitive term screening found), for
-- the audit pack: one account (:account_id) or the group (NULL), publish times in [:from_at, :to_at).
-- The screened case is read from the screening document herald.posts.queue stores ("chain_reasons").
SELECT p.post_id, p.account_id, a.name AS account_name, p.title, p.state, p.publish_at, p.content_hash,
       p.approval_chain, p.sensitive_marks, p.is_paid_repost, p.screening, p.policy_id
FROM posts p
JOIN accounts a ON a.account_id = p.account_id
WHERE (CAST(:account_id AS TEXT) IS NULL OR p.account_id = CAST(:account_id AS TEXT))
  AND p.publish_at >= :from_at AND p.publish_at < :to_at
  AND (p.sensitive_marks <> '[]' OR p.is_paid_repost OR p.screening LIKE '%"sensitive_terms": ["%')
ORDER BY p.publish_at, p.post_id
