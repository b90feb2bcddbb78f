-- Part of replacing the demo world: the findings' history goes with them (its ids are derived from the findings'
-- content, so a rebuilt world would otherwise inherit an earlier world's acknowledgements).
DELETE FROM finding_history
