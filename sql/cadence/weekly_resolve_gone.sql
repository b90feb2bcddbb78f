{% import "cadence/_week_bits.sql.j2" as bits with context %}
-- PUB-5 findings of weeks that no longer lapse (gone_bits of cadence_judgement) are resolved. A scan that
-- judges its weeks in full resolves through findings/resolve_unseen instead. :weeks holds [week_index,
-- label] per week of the window. (No WITH in front: SQLite's driver then reports no row count.)
UPDATE findings
SET state = 'resolved', resolved_at = :now
FROM (
    SELECT j.account_id, CAST(w.label AS TEXT) AS label
    FROM cadence_judgement j
    JOIN ({{ sql.json_array_rows(':weeks', ['week_index', 'label']) }}) AS w
      ON {{ bits.block_of('CAST(w.week_index AS INTEGER)') }} = j.block
     AND {{ bits.has('j.gone_bits', 'CAST(w.week_index AS INTEGER)') }}
    WHERE j.gone_bits <> 0
) AS gone
WHERE findings.rule_id = :rule_id
  AND findings.subject_type = 'account'
  AND findings.subject_id = gone.account_id
  AND findings.period = gone.label
  AND findings.state <> 'resolved'
