-- Unauthorised-account findings (ACC-1 from the directory scan, period "directory:<platform>") open at any time in
-- [:from_at, :to_at), with their sighting, for the audit pack.
SELECT f.finding_id, f.subject_id, f.period, f.severity, f.summary, f.evidence, f.state, f.first_detected_at,
       f.last_detected_at, f.resolved_at, s.screen_name, s.followers_count, s.first_seen_at, s.last_seen_at
FROM findings f
LEFT JOIN directory_sightings s ON f.subject_id = s.platform || ':' || s.platform_account_id
WHERE f.rule_id = 'ACC-1'
  AND f.subject_type = 'platform_account'
  AND f.period >= 'directory:' AND f.period <= 'directory:~'
  AND f.first_detected_at < :to_at
  AND (f.resolved_at IS NULL OR f.resolved_at >= :from_at)
ORDER BY f.subject_id
