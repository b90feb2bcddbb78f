-- Part of replacing the demo world: everything in role_assignments goes (children before parents).
DELETE FROM role_assignments
