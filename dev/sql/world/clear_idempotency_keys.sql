-- Part of replacing the demo world: remembered requests go (they answer for posts that no longer exist).
DELETE FROM idempotency_keys
