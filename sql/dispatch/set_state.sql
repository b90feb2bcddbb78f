-- Move a post between dispatch states; the caller checks that exactly one row changed.
UPDATE posts
SET state = :new_state, state_reason = :reason, updated_at = :now
WHERE post_id = :post_id AND state = :expected_state
