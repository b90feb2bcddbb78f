-- Part of replacing the demo world: everything in findings goes (children before parents).
DELETE FROM findings
