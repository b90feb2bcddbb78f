-- History of the findings findings/resolve_unseen is about to resolve (same predicate), written just before it.
INSERT INTO finding_history (history_id, finding_id, from_state, to_state, actor, via, reason, os_user, occurred_at)
SELECT :batch || f.finding_id, f.finding_id, f.state, 'resolved', :actor, 'scan', NULL, NULL, :now
FROM findings f
WHERE f.rule_id = :rule_id
  AND f.period >= :period_from
  AND f.period <= :period_to
  AND f.state <> 'resolved'
  AND NOT EXISTS (SELECT 1 FROM findings_stage s WHERE s.finding_id = f.finding_id)
