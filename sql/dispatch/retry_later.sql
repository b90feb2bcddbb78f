-- A retryable outcome: nothing reached the platform; the post waits, with the reason, until :not_before.
UPDATE posts
SET state = 'approved', state_reason = :reason, updated_at = :now, dispatch_not_before_at = :not_before
WHERE post_id = :post_id AND state = 'dispatching'
