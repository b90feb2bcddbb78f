-- The posts among :post_ids (a JSON array) that ended 'failed', with what the people told about it need:
-- the account, the author and their address, and the last dispatch attempt (the platform's code and kind).
SELECT p.post_id, p.account_id, p.author_id, p.title, p.body, p.publish_at, p.state_reason, p.policy_id,
       p.content_hash, a.name AS account_name, a.platform, a.host_unit_id,
       au.name AS author_name, au.email AS author_email,
       d.outcome AS last_outcome, d.error_code AS last_error_code, d.response AS last_response
FROM posts p
JOIN accounts a ON a.account_id = p.account_id
LEFT JOIN people au ON au.person_id = p.author_id
LEFT JOIN dispatch_attempts d ON d.post_id = p.post_id
     AND d.attempt_no = (SELECT MAX(x.attempt_no) FROM dispatch_attempts x WHERE x.post_id = p.post_id)
WHERE p.post_id IN ({{ sql.json_text_elements(':post_ids') }})
  AND p.state = 'failed'
ORDER BY p.post_id
