-- Part of replacing the demo world: everything in accounts goes (children before parents).
DELETE FROM accounts
