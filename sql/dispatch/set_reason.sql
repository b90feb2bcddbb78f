-- Say why a post is still where it is (nothing waits without a reason).
UPDATE posts SET state_reason = :reason, updated_at = :now WHERE post_id = :post_id AND state = :state
