-- Part of replacing the demo world: everything in dispatch_attempts goes (children before parents).
DELETE FROM dispatch_attempts
