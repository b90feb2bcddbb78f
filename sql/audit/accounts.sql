-- Audit pack (ACC-3, ACC-6): the registration record of every account inspected for the year, as it stands in
-- the registry (accounts keep their current record; changes during the year are the filed changes of
-- account_events). An account is inspected when it was recorded by the cutoff, opened before the year ended and
-- not closed before it began. :account_id NULL = every account (the group pack, or all account packs at once).
SELECT a.account_id, a.name, a.platform, a.platform_account_id, a.link, a.is_verified, a.verification_documents,
       a.purpose, a.content_scope, a.creating_unit_id, cu.name AS creating_unit_name,
       a.host_unit_id, hu.name AS host_unit_name, hu.parent_id AS host_parent_unit_id,
       a.supervising_leader_id, sl.name AS supervising_leader_name,
       a.host_unit_opinion_by, ho.name AS host_unit_opinion_by_name, a.host_unit_opinion_on, a.is_host_unit_sealed,
       a.competent_opinion_by, co.name AS competent_opinion_by_name, a.competent_opinion_on,
       a.level, a.parent_account_id, a.state, a.opened_on, a.closed_on, a.policy_id,
       (SELECT COUNT(*) FROM account_admins aa WHERE aa.account_id = a.account_id) AS administrator_count
FROM accounts a
JOIN org_units hu ON hu.unit_id = a.host_unit_id
LEFT JOIN org_units cu ON cu.unit_id = a.creating_unit_id
LEFT JOIN people sl ON sl.person_id = a.supervising_leader_id
LEFT JOIN people ho ON ho.person_id = a.host_unit_opinion_by
LEFT JOIN people co ON co.person_id = a.competent_opinion_by
WHERE (:account_id IS NULL OR a.account_id = :account_id)
  AND a.created_at <= :cutoff
  AND (a.opened_on IS NULL OR a.opened_on <= :year_last_on)
  AND (a.closed_on IS NULL OR a.closed_on >= :year_first_on)
ORDER BY a.account_id
