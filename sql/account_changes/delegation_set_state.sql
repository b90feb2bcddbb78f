-- One change of a delegation's state, applied at most once (the caller checks that one row changed). A decision
-- (grant, rejection) sets decided_*, an end (revoked, expired) ended_*; :actor_id NULL is Herald's scheduled revocation.
UPDATE delegations
SET state = :new_state,
    decided_by = CASE WHEN :decided THEN :actor_id ELSE decided_by END,
    decided_at = CASE WHEN :decided THEN :now ELSE decided_at END,
    ended_by = CASE WHEN :decided THEN ended_by ELSE :actor_id END,
    ended_at = CASE WHEN :decided THEN ended_at ELSE :now END,
    reason = COALESCE(:reason, reason),
    updated_at = :now
WHERE delegation_id = :delegation_id AND state = :expected_state
