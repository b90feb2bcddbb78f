-- Part of replacing the demo world: everything in account_events goes (children before parents).
DELETE FROM account_events
