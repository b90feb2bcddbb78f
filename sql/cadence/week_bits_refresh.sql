{% import "cadence/_week_bits.sql.j2" as bits with context %}
-- Add the weeks [first_week, last_week] just recounted into cadence_presence to the week bits: a week's
-- bit is set in each class it has at least one item of (week_bits_clear took the old ones out).
INSERT INTO cadence_week_bits (account_id, block, live_bits, deleted_bits, banned_bits, observed_bits)
SELECT account_id, {{ bits.block_of('week_index') }},
       {{ sql.bit_or_agg('CASE WHEN live_items > 0 THEN ' ~ bits.bit_of('week_index') ~ ' ELSE 0 END') }},
       {{ sql.bit_or_agg('CASE WHEN deleted_items > 0 THEN ' ~ bits.bit_of('week_index') ~ ' ELSE 0 END') }},
       {{ sql.bit_or_agg('CASE WHEN banned_items > 0 THEN ' ~ bits.bit_of('week_index') ~ ' ELSE 0 END') }},
       {{ sql.bit_or_agg('CASE WHEN observed_items > 0 THEN ' ~ bits.bit_of('week_index') ~ ' ELSE 0 END') }}
FROM cadence_presence
WHERE week_index BETWEEN :first_week AND :last_week
GROUP BY account_id, {{ bits.block_of('week_index') }}
ON CONFLICT (account_id, block) DO UPDATE SET
    live_bits = cadence_week_bits.live_bits | excluded.live_bits,
    deleted_bits = cadence_week_bits.deleted_bits | excluded.deleted_bits,
    banned_bits = cadence_week_bits.banned_bits | excluded.banned_bits,
    observed_bits = cadence_week_bits.observed_bits | excluded.observed_bits
