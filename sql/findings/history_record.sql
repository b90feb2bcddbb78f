-- One change of a finding's state made by a person (acknowledge, resolve), with their reason.
INSERT INTO finding_history (history_id, finding_id, from_state, to_state, actor, via, reason, os_user, occurred_at)
VALUES (:history_id, :finding_id, :from_state, :to_state, :actor, :via, :reason, :os_user, :now)
