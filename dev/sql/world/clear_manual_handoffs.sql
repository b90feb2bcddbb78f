-- Part of replacing the demo world: everything in manual_handoffs goes (it describes the old world).
DELETE FROM manual_handoffs
