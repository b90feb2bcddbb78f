-- The platform's ids, stored before anything else, with the state they put the post in.
UPDATE posts
SET platform_ref = :platform_ref, state = :new_state, state_reason = :reason, updated_at = :now
WHERE post_id = :post_id AND state = :expected_state
