-- Part of replacing the demo world: everything in dispatch_staging goes (it describes the old world).
DELETE FROM dispatch_staging
