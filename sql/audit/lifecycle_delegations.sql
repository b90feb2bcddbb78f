-- Audit pack (PUB-6): delegations of publishing rights on an account whose window overlaps the year and that were
-- applied for by the cutoff, with their state at the cutoff (the last delegation event by then), who decided and who
-- ended them (NULL with an end time: revoked by Herald when the window ran out), and the posts queued under them.
-- :account_id NULL = every account.
SELECT d.delegation_id, d.account_id, a.name AS account_name, a.host_unit_id, d.unit_id, u.name AS unit_name,
       d.activity_kind, d.title, d.window_start_at, d.window_end_at, d.applied_by, ap.name AS applied_by_name,
       d.applied_at,
       COALESCE((SELECT e.state FROM delegation_events e
                 WHERE e.delegation_id = d.delegation_id AND e.occurred_at <= :cutoff
                 ORDER BY e.occurred_at DESC, e.event_id DESC LIMIT 1), 'applied') AS state_at_cutoff,
       CASE WHEN d.decided_at <= :cutoff THEN d.decided_by END AS decided_by,
       CASE WHEN d.decided_at <= :cutoff THEN dp.name END AS decided_by_name,
       CASE WHEN d.decided_at <= :cutoff THEN d.decided_at END AS decided_at,
       CASE WHEN d.ended_at <= :cutoff THEN d.ended_by END AS ended_by,
       CASE WHEN d.ended_at <= :cutoff THEN ep.name END AS ended_by_name,
       CASE WHEN d.ended_at <= :cutoff THEN d.ended_at END AS ended_at,
       (SELECT COUNT(*) FROM delegation_people x WHERE x.delegation_id = d.delegation_id) AS people,
       (SELECT COUNT(*) FROM delegation_posts q JOIN posts p ON p.post_id = q.post_id
        WHERE q.delegation_id = d.delegation_id AND p.requested_at <= :cutoff) AS posts,
       d.policy_id
FROM delegations d
JOIN accounts a ON a.account_id = d.account_id
JOIN org_units u ON u.unit_id = d.unit_id
LEFT JOIN people ap ON ap.person_id = d.applied_by
LEFT JOIN people dp ON dp.person_id = d.decided_by
LEFT JOIN people ep ON ep.person_id = d.ended_by
WHERE (CAST(:account_id AS TEXT) IS NULL OR d.account_id = CAST(:account_id AS TEXT))
  AND d.window_start_at < :year_end AND d.window_end_at > :year_start AND d.applied_at <= :cutoff
ORDER BY d.account_id, d.window_start_at, d.delegation_id
