-- The audit pack's handovers (ACC-5) and their credential rotations (SEC-1), effective in [:from_on, :to_on].
SELECT h.handover_id, h.account_id, a.name AS account_name, a.host_unit_id, h.from_person_id, h.to_person_id,
       h.effective_on, h.receipt_ref, h.receipt_by, h.receipt_on, h.filed_by, h.filed_at, h.policy_id,
       r.rotation_id, r.state AS rotation_state, r.method AS rotation_method, r.fingerprint AS rotation_fingerprint,
       r.finished_at AS rotation_finished_at
FROM account_handovers h
JOIN accounts a ON a.account_id = h.account_id
LEFT JOIN credential_rotations r ON r.handover_id = h.handover_id
WHERE (:account_id IS NULL OR h.account_id = :account_id)
  AND h.effective_on >= :from_on AND h.effective_on <= :to_on
ORDER BY h.account_id, h.effective_on, h.handover_id
