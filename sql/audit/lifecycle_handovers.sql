-- Audit pack (ACC-5, SEC-1): the handovers of an account's operator post effective in the year (Beijing dates) and
-- filed by the cutoff, with the rotation of the account's platform credential that followed: its state at the
-- cutoff and the new credential's fingerprint (first 12 hex digits of its SHA-256), never the credential.
-- :account_id NULL = every account.
SELECT h.handover_id, h.account_id, a.name AS account_name, a.host_unit_id, h.event_id,
       h.from_person_id, fp.name AS from_person_name, h.to_person_id, tp.name AS to_person_name, h.effective_on,
       h.receipt_ref, h.receipt_by, rp.name AS receipt_by_name, h.receipt_on, h.filed_by, h.filed_at, h.policy_id,
       r.rotation_id, r.method AS rotation_method, r.requested_at AS rotation_requested_at,
       CASE WHEN r.rotation_id IS NULL THEN NULL
            WHEN r.requested_at > :cutoff THEN NULL
            WHEN r.finished_at IS NOT NULL AND r.finished_at <= :cutoff THEN r.state
            ELSE 'pending' END AS rotation_state_at_cutoff,
       CASE WHEN r.finished_at <= :cutoff THEN r.fingerprint END AS rotation_fingerprint,
       CASE WHEN r.finished_at <= :cutoff THEN r.finished_at END AS rotation_finished_at
FROM account_handovers h
JOIN accounts a ON a.account_id = h.account_id
LEFT JOIN people fp ON fp.person_id = h.from_person_id
LEFT JOIN people tp ON tp.person_id = h.to_person_id
LEFT JOIN people rp ON rp.person_id = h.receipt_by
LEFT JOIN credential_rotations r ON r.handover_id = h.handover_id
WHERE (CAST(:account_id AS TEXT) IS NULL OR h.account_id = CAST(:account_id AS TEXT))
  AND h.effective_on >= :year_first_on AND h.effective_on <= :year_last_on
  AND h.filed_at <= :cutoff
ORDER BY h.account_id, h.effective_on, h.handover_id, r.requested_at, r.rotation_id
