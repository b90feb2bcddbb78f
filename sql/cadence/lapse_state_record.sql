-- Keep what this scan wrote as PUB-5 findings (the judgement's blocks that changed) for the next one to
-- set its judgement against.
INSERT INTO cadence_lapse_state (account_id, block, lapse_bits, high_bits, thin_bits, stale_bits, basis)
SELECT account_id, block, lapse_bits, high_bits, thin_bits, stale_bits, basis
FROM cadence_judgement
WHERE state_changed = 1
ON CONFLICT (account_id, block) DO UPDATE SET
    lapse_bits = excluded.lapse_bits,
    high_bits = excluded.high_bits,
    thin_bits = excluded.thin_bits,
    stale_bits = excluded.stale_bits,
    basis = excluded.basis
