-- Part of replacing the demo world: everything in world_builds goes (children before parents).
DELETE FROM world_builds
