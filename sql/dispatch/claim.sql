-- The claim: one conditional update. Acts only on an approved post whose content is still the
-- content that was approved and staged, on an active account; the caller acts only if one row changed.
UPDATE posts
SET state = 'dispatching', state_reason = :reason, updated_at = :now, dispatch_not_before_at = NULL
WHERE post_id = :post_id
  AND state = 'approved'
  AND content_hash = :content_hash
  AND EXISTS (SELECT 1 FROM dispatch_staging s WHERE s.post_id = posts.post_id AND s.content_hash = :content_hash)
  AND EXISTS (SELECT 1 FROM accounts a WHERE a.account_id = posts.account_id AND a.state = 'active')
