-- Part of replacing the demo world: everything in archive_days goes (it describes the old world).
DELETE FROM archive_days
