-- Part of replacing the demo world: everything in post_events goes (children before parents).
DELETE FROM post_events
