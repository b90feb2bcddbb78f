-- The audit pack's changes (ACC-4) of one account (or every account: :account_id NULL) effective in [:from_on, :to_on].
SELECT c.change_id, c.account_id, a.name AS account_name, a.host_unit_id, c.change_kind, c.old_value, c.new_value,
       c.effective_on, c.deadline_on, c.reported_by, c.reported_at, c.filed_by, c.filed_at, c.filing_ref,
       c.handover_id, c.policy_id, c.policy_sha256
FROM account_changes c
JOIN accounts a ON a.account_id = c.account_id
WHERE (:account_id IS NULL OR c.account_id = :account_id)
  AND c.effective_on >= :from_on AND c.effective_on <= :to_on
ORDER BY c.account_id, c.effective_on, c.change_id
