{% import "cadence/_week_bits.sql.j2" as bits with context %}
-- Take the weeks [first_week, last_week] out of every account's week bits before they are recounted
-- (presence_clear, presence_refresh, then week_bits_refresh puts back what the log says).
{%- set keep %}~{{ bits.span(':first_week', ':last_week', 'block') }}{% endset %}
UPDATE cadence_week_bits
SET live_bits = live_bits & {{ keep }},
    deleted_bits = deleted_bits & {{ keep }},
    banned_bits = banned_bits & {{ keep }},
    observed_bits = observed_bits & {{ keep }}
WHERE block BETWEEN {{ bits.block_of(':first_week') }} AND {{ bits.block_of(':last_week') }}
