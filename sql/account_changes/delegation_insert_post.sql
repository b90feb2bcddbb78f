INSERT INTO delegation_posts (post_id, delegation_id) VALUES (:post_id, :delegation_id)
