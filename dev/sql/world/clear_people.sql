-- Part of replacing the demo world: everything in people goes (children before parents).
DELETE FROM people
