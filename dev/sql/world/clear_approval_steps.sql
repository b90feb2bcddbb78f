-- Part of replacing the demo world: everything in approval_steps goes (children before parents).
DELETE FROM approval_steps
