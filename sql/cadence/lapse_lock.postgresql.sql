-- One PUB-5 judgement at a time (a scheduled run and a backfill may overlap): each sets its judgement
-- against the lapse record the last one left, so they take turns, until the end of the transaction.
-- The key is the text 'herald.cadence.pub5' hashed to the lock's 64-bit number.
SELECT pg_advisory_xact_lock(hashtextextended('herald.cadence.pub5', 0))
