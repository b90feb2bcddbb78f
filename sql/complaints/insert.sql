-- A new complaint, its first clocks started (assign and answer from receipt).
INSERT INTO complaints (
    complaint_id, account_id, channel, source_ref, complainant, contact, content, state, received_at,
    registered_at, registered_by, assign_due_at, answer_due_at, policy_id, policy_sha256, updated_at
) VALUES (
    :complaint_id, :account_id, :channel, :source_ref, :complainant, :contact, :content, 'registered', :received_at,
    :registered_at, :registered_by, :assign_due_at, :answer_due_at, :policy_id, :policy_sha256, :registered_at
)
