-- The calendar pages: every post whose publish time falls in [from_at, to_at), across accounts, with its state.
-- One row more than the page shows (:row_limit) tells it that the range holds more than it lists.
SELECT p.post_id, p.account_id, a.name AS account_name, a.platform, p.title, p.body, p.kind, p.publish_at,
       p.state, p.state_reason
FROM posts p
JOIN accounts a ON a.account_id = p.account_id
WHERE p.publish_at >= :from_at AND p.publish_at < :to_at
ORDER BY p.publish_at, a.name, p.post_id
LIMIT :row_limit
