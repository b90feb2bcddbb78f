-- Part of replacing the demo world: everything in archive_index goes (children before parents).
DELETE FROM archive_index
