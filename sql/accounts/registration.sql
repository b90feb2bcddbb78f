-- An account's registration-record fields (ACC-3) and how many administrators it names.
SELECT a.account_id, a.platform, a.name, a.platform_account_id, a.link, a.is_verified,
       a.verification_documents, a.purpose, a.content_scope, a.creating_unit_id, a.host_unit_id,
       a.supervising_leader_id, a.host_unit_opinion_by, a.host_unit_opinion_on, a.is_host_unit_sealed,
       a.competent_opinion_by, a.competent_opinion_on, a.level, a.parent_account_id, a.state,
       a.opened_on, a.policy_id,
       (SELECT COUNT(*) FROM account_admins aa WHERE aa.account_id = a.account_id) AS administrator_count
FROM accounts a
WHERE a.account_id = :account_id
