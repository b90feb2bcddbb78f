SELECT h.handover_id, h.account_id, h.from_person_id, h.to_person_id, h.effective_on, h.receipt_ref, h.receipt_by,
       h.receipt_on, h.filed_by, h.filed_at,
       r.rotation_id, r.state AS rotation_state, r.method AS rotation_method, r.fingerprint AS rotation_fingerprint,
       r.finished_at AS rotation_finished_at
FROM account_handovers h
LEFT JOIN credential_rotations r ON r.handover_id = h.handover_id
WHERE h.account_id = :account_id
ORDER BY h.effective_on, h.filed_at, h.handover_id
