-- Part of replacing the demo world: everything in published_items goes (children before parents).
DELETE FROM published_items
