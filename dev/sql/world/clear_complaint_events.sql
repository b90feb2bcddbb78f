-- Part of replacing the demo world: everything in complaint_events goes (children before parents).
DELETE FROM complaint_events
