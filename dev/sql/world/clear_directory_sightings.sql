-- Part of replacing the demo world: everything in directory_sightings goes (children before parents).
DELETE FROM directory_sightings
