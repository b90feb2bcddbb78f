-- Audit pack (ACC-1): lookalike accounts found in the platforms' directories that name or imply the company but are
-- not registered (the unauthorised-accounts scan's findings, period "directory:<platform>"), open at some time in the
-- year and first detected by the cutoff, with the unit they name (the sighting's unit) and their state at the cutoff.
-- :unit_id NULL = every one (the group pack); an account's pack passes its host unit.
SELECT f.finding_id, f.subject_id, s.platform, s.platform_account_id, s.screen_name, s.followers_count,
       s.unit_id, u.name AS unit_name, f.severity, f.summary, f.first_detected_at,
       CASE WHEN f.last_detected_at <= :cutoff THEN f.last_detected_at ELSE f.first_detected_at END AS last_detected_at,
       COALESCE((SELECT h.to_state FROM finding_history h
                 WHERE h.finding_id = f.finding_id AND h.occurred_at <= :cutoff
                 ORDER BY h.occurred_at DESC, h.history_id DESC LIMIT 1),
                CASE WHEN f.resolved_at IS NOT NULL AND f.resolved_at > :cutoff THEN 'open' ELSE f.state END)
           AS state_at_cutoff,
       CASE WHEN f.resolved_at <= :cutoff THEN f.resolved_at END AS resolved_at
FROM findings f
LEFT JOIN directory_sightings s ON f.subject_id = s.platform || ':' || s.platform_account_id
LEFT JOIN org_units u ON u.unit_id = s.unit_id
WHERE f.rule_id = 'ACC-1' AND f.subject_type = 'platform_account'
  AND f.period >= 'directory:' AND f.period <= 'directory:~'
  AND f.first_detected_at < :year_end AND f.first_detected_at <= :cutoff
  AND (f.resolved_at IS NULL OR f.resolved_at >= :year_start)
  AND (CAST(:unit_id AS TEXT) IS NULL OR s.unit_id = CAST(:unit_id AS TEXT))
ORDER BY f.subject_id, f.finding_id
