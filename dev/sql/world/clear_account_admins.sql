-- Part of replacing the demo world: everything in account_admins goes (children before parents).
DELETE FROM account_admins
