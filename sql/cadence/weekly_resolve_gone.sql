{% import "cadence/_week_bits.sql.j2" as bits with context %}
-- PUB-5 findings of weeks that no longer lapse (gone_bits of cadence_judgement) are resolved. A scan that
-- judges its weeks in full resolves through findings/resolve_unseen instead. :weeks holds [week_index,
-- label] per week of the window. (No WITH in front: SQLite's driver then reports no row count.)
UPDATE findings
SET state = 'resolved', resolved_at = :now
FROM (
    SELECT j.account_id, w.label
    FROM cadence_judgement j
    JOIN {{ bits.window_weeks() }} AS w
      ON {{ bits.block_of('w.week_index') }} = j.block AND {{ bits.has('j.gone_bits', 'w.week_index') }}
    WHERE j.gone_bits <> 0
) AS gone
WHERE findings.rule_id = :rule_id
  AND findings.subject_type = 'account'
  AND findings.subject_id = gone.account_id
  AND findings.period = gone.label
  AND findings.state <> 'resolved'
