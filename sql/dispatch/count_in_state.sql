-- Posts of one publish time in a state (the benchmarks wait until a whole burst is confirmed).
SELECT COUNT(*) FROM posts WHERE publish_at = :publish_at AND state = :state
