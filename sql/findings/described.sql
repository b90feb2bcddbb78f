-- Findings with what people read in place of ids: the account (name, platform, host unit), the post's title or the
-- start of its text, the operator's name. Every subject type is resolved to its account where it has one:
-- account, post, published_item, account_event, account_operator ("<account_id>/<person_id>"). A finding without
-- an account (an archive day) has no host unit.
--   :finding_id  one finding, or NULL for all
--   :states      JSON array of the states wanted, e.g. ["open", "acknowledged"]
--   :unit_ids    JSON array of host units, or NULL for every unit; :unowned also keeps findings without one
--   :rule_id     one rule, or NULL;  :max_rows  at most this many rows
SELECT f.finding_id, f.rule_id, f.subject_type, f.subject_id, f.period, f.severity, f.summary, f.evidence,
       f.state, f.detected_by, f.first_detected_at, f.last_detected_at, f.resolved_at,
       a.account_id, a.name AS account_name, a.platform, a.host_unit_id, u.name AS host_unit_name,
       p.title AS post_title, substr(p.body, 1, 40) AS post_excerpt,
       op.person_id AS operator_id, op.name AS operator_name
FROM findings f
LEFT JOIN posts p ON f.subject_type = 'post' AND p.post_id = f.subject_id
LEFT JOIN published_items i ON f.subject_type = 'published_item' AND i.item_id = f.subject_id
LEFT JOIN account_events e ON f.subject_type = 'account_event' AND e.event_id = f.subject_id
LEFT JOIN accounts ao ON f.subject_type = 'account_operator'
                     AND substr(f.subject_id, 1, length(ao.account_id) + 1) = ao.account_id || '/'
LEFT JOIN people op ON f.subject_type = 'account_operator'
                   AND op.person_id = substr(f.subject_id, length(ao.account_id) + 2)
LEFT JOIN accounts a ON a.account_id = CASE f.subject_type
                                          WHEN 'account' THEN f.subject_id
                                          WHEN 'post' THEN p.account_id
                                          WHEN 'published_item' THEN i.account_id
                                          WHEN 'account_event' THEN e.account_id
                                          WHEN 'account_operator' THEN ao.account_id
                                      END
LEFT JOIN org_units u ON u.unit_id = a.host_unit_id
WHERE (CAST(:finding_id AS TEXT) IS NULL OR f.finding_id = :finding_id)
  AND f.state IN ({{ sql.json_text_elements(':states') }})
  AND (CAST(:rule_id AS TEXT) IS NULL OR f.rule_id = :rule_id)
  AND (CAST(:unit_ids AS TEXT) IS NULL
       OR a.host_unit_id IN ({{ sql.json_text_elements(':unit_ids') }})
       OR (:unowned AND a.host_unit_id IS NULL))
ORDER BY f.rule_id, f.subject_id, f.period
LIMIT :max_rows
