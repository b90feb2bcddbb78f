-- Part of replacing the demo world: everything in complaints goes (children before parents).
DELETE FROM complaints
