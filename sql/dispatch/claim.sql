-- The claim: one conditional update over the posts of a second. :claims is a JSON object
-- {post_id: content_hash} of the posts whose approval chain was just found complete for that hash.
-- A row changes only while it is still approved, still carries that hash, is staged for it and its
-- account is active; RETURNING names exactly the rows this statement changed, and only those are
-- sent (of two claimers of the same post, exactly one gets it back).
UPDATE posts
SET state = 'dispatching', state_reason = :reason, updated_at = :now, dispatch_not_before_at = NULL
WHERE state = 'approved'
  AND EXISTS (SELECT 1 FROM ({{ sql.json_pairs(':claims') }}) AS c
              WHERE c.key = posts.post_id AND c.value = posts.content_hash)
  AND EXISTS (SELECT 1 FROM dispatch_staging s WHERE s.post_id = posts.post_id AND s.content_hash = posts.content_hash)
  AND EXISTS (SELECT 1 FROM accounts a WHERE a.account_id = posts.account_id AND a.state = 'active')
RETURNING post_id
