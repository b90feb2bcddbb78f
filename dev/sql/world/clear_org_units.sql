-- Part of replacing the demo world: everything in org_units goes (children before parents).
DELETE FROM org_units
