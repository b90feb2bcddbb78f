-- Audit pack (ACC-1, ACC-2): the creation applications of accounts applied for before the year ended and by the
-- cutoff, with each creation-step decision recorded by the cutoff (one row per decision; one row with no decision
-- for an application nobody has answered yet). The application's state is taken at the cutoff: a decision after it
-- leaves the application pending. :account_id NULL = every account.
SELECT ap.application_id, ap.account_id, a.name AS account_name, a.host_unit_id, ap.applying_unit_id,
       au.name AS applying_unit_name, ap.applicant_id, pa.name AS applicant_name, ap.via, ap.chain,
       CASE WHEN ap.decided_at IS NOT NULL AND ap.decided_at <= :cutoff THEN ap.state ELSE 'pending' END
           AS state_at_cutoff,
       ap.submitted_at,
       CASE WHEN ap.decided_at <= :cutoff THEN ap.decided_at END AS decided_at,
       e.event_id, e.step, e.decision, e.actor_id, pe.name AS actor_name, e.occurred_at AS step_decided_at,
       e.detail AS step_detail, ap.policy_id, ap.policy_sha256
FROM account_applications ap
JOIN accounts a ON a.account_id = ap.account_id
LEFT JOIN org_units au ON au.unit_id = ap.applying_unit_id
LEFT JOIN people pa ON pa.person_id = ap.applicant_id
LEFT JOIN account_events e ON e.account_id = ap.account_id AND e.kind = 'creation_step'
                          AND e.occurred_at >= ap.submitted_at AND e.occurred_at <= :cutoff
LEFT JOIN people pe ON pe.person_id = e.actor_id
WHERE (CAST(:account_id AS TEXT) IS NULL OR ap.account_id = CAST(:account_id AS TEXT))
  AND ap.submitted_at < :year_end AND ap.submitted_at <= :cutoff
ORDER BY ap.account_id, ap.submitted_at, ap.application_id, e.occurred_at, e.event_id
