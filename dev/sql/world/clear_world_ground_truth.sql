-- Part of replacing the demo world: everything in world_ground_truth goes (children before parents).
DELETE FROM world_ground_truth
