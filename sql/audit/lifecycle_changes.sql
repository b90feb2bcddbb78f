-- Audit pack (ACC-4): the changes of account name, management team or maintenance method effective in the year
-- (Beijing dates) and reported by the cutoff, with the working-day deadline of their written filing. A filing
-- recorded after the cutoff does not count: the change shows as not filed. :account_id NULL = every account.
SELECT c.change_id, c.account_id, a.name AS account_name, a.host_unit_id, c.event_id, c.change_kind, c.old_value,
       c.new_value, c.effective_on, c.deadline_on, c.reported_by, rp.name AS reported_by_name, c.reported_at,
       CASE WHEN c.filed_at <= :cutoff THEN c.filed_by END AS filed_by,
       CASE WHEN c.filed_at <= :cutoff THEN fp.name END AS filed_by_name,
       CASE WHEN c.filed_at <= :cutoff THEN c.filed_at END AS filed_at,
       CASE WHEN c.filed_at <= :cutoff THEN c.filing_ref END AS filing_ref,
       c.handover_id, c.policy_id
FROM account_changes c
JOIN accounts a ON a.account_id = c.account_id
LEFT JOIN people rp ON rp.person_id = c.reported_by
LEFT JOIN people fp ON fp.person_id = c.filed_by
WHERE (CAST(:account_id AS TEXT) IS NULL OR c.account_id = CAST(:account_id AS TEXT))
  AND c.effective_on >= :year_first_on AND c.effective_on <= :year_last_on
  AND c.reported_at <= :cutoff
ORDER BY c.account_id, c.effective_on, c.change_id
