{% import "cadence/_week_bits.sql.j2" as bits with context %}
-- History of the PUB-5 findings weekly_resolve_gone.sql is about to resolve (same selection), written just
-- before it in the same transaction, in the name of the scan (:actor). :batch makes the ids unique.
INSERT INTO finding_history (history_id, finding_id, from_state, to_state, actor, via, reason, os_user, occurred_at)
SELECT :batch || f.finding_id, f.finding_id, f.state, 'resolved', :actor, 'scan', NULL, NULL, :now
FROM findings f
JOIN (
    SELECT j.account_id, w.label
    FROM cadence_judgement j
    JOIN {{ bits.window_weeks() }} AS w
      ON {{ bits.block_of('w.week_index') }} = j.block AND {{ bits.has('j.gone_bits', 'w.week_index') }}
    WHERE j.gone_bits <> 0
) AS gone ON f.subject_id = gone.account_id AND f.period = gone.label
WHERE f.rule_id = :rule_id
  AND f.subject_type = 'account'
  AND f.state <> 'resolved'
