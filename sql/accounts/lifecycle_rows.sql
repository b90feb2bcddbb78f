-- For the audit pack (ACC-1, ACC-2, ACC-3): each application filed or decided in the window, one row per
-- creation-step decision (or one row for an application with none yet), for one account (:account_id) or the group
-- (:account_id NULL). The window is [:window_from, :window_to) in UTC.
SELECT ap.application_id, ap.account_id, a.name AS account_name, a.platform, ap.applying_unit_id,
       ap.applicant_id, ap.via, ap.state AS application_state, ap.policy_id, ap.policy_sha256, ap.submitted_at,
       ap.decided_at, a.state AS account_state, a.opened_on, e.step, e.decision, e.actor_id,
       pe.name AS actor_name, e.occurred_at AS decided_step_at, e.detail
FROM account_applications ap
JOIN accounts a ON a.account_id = ap.account_id
LEFT JOIN account_events e ON e.account_id = ap.account_id AND e.kind = 'creation_step'
                          AND e.occurred_at >= ap.submitted_at
LEFT JOIN people pe ON pe.person_id = e.actor_id
WHERE (CAST(:account_id AS TEXT) IS NULL OR ap.account_id = CAST(:account_id AS TEXT))
  AND ((ap.submitted_at >= :window_from AND ap.submitted_at < :window_to)
       OR (e.occurred_at >= :window_from AND e.occurred_at < :window_to)
       OR (ap.decided_at >= :window_from AND ap.decided_at < :window_to))
ORDER BY ap.account_id, ap.submitted_at, e.occurred_at, e.event_id
