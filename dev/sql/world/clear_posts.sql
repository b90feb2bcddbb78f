-- Part of replacing the demo world: everything in posts goes (children before parents).
DELETE FROM posts
