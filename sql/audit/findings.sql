-- Audit pack: the findings of the year (periods of the year: ISO weeks and days labelled with it, and standing
-- findings and lookalike-account findings ("directory:<platform>") not resolved before it began) detected by the cutoff, each with the account it concerns (through its
-- subject: an account, a post, a published item, an account event, "account/operator", a complaint's step
-- "complaint/step" or a credential rotation; a lookalike platform account (ACC-1) belongs to no account), its state at the
-- cutoff (from finding_history; without history, its own state unless resolved after the cutoff) and how and
-- when it was last resolved by the cutoff. :account_id NULL = every finding, including those of no account.
WITH scoped AS (
    SELECT f.*,
           CASE f.subject_type
               WHEN 'account' THEN f.subject_id
               WHEN 'post' THEN (SELECT p.account_id FROM posts p WHERE p.post_id = f.subject_id)
               WHEN 'published_item' THEN (SELECT i.account_id FROM published_items i WHERE i.item_id = f.subject_id)
               WHEN 'account_event' THEN (SELECT e.account_id FROM account_events e WHERE e.event_id = f.subject_id)
               WHEN 'account_operator' THEN (SELECT a.account_id FROM accounts a
                                             WHERE SUBSTR(f.subject_id, 1, LENGTH(a.account_id) + 1) = a.account_id || '/')
               WHEN 'complaint' THEN (SELECT c.account_id FROM complaints c
                                      WHERE SUBSTR(f.subject_id, 1, LENGTH(c.complaint_id) + 1) = c.complaint_id || '/')
               WHEN 'credential_rotation' THEN (SELECT r.account_id FROM credential_rotations r
                                                WHERE r.rotation_id = f.subject_id)
           END AS account_id
    FROM findings f
    WHERE f.first_detected_at <= :cutoff
      AND (f.period LIKE :year_prefix
           OR ((f.period = 'standing' OR f.period LIKE 'directory:%')
               AND (f.resolved_at IS NULL OR f.resolved_at >= :year_start)))
),
judged AS (
    SELECT s.*,
           (SELECT h.history_id FROM finding_history h
            WHERE h.finding_id = s.finding_id AND h.occurred_at <= :cutoff
            ORDER BY h.occurred_at DESC, h.history_id DESC LIMIT 1) AS last_history_id,
           (SELECT h.history_id FROM finding_history h
            WHERE h.finding_id = s.finding_id AND h.occurred_at <= :cutoff AND h.to_state = 'resolved'
            ORDER BY h.occurred_at DESC, h.history_id DESC LIMIT 1) AS resolution_id
    FROM scoped s
    WHERE :account_id IS NULL OR s.account_id = :account_id
)
SELECT j.finding_id, j.account_id, j.rule_id, j.subject_type, j.subject_id, j.period, j.severity, j.summary,
       j.detected_by, j.first_detected_at, j.last_detected_at,
       COALESCE(lh.to_state,
                CASE WHEN j.resolved_at IS NOT NULL AND j.resolved_at > :cutoff THEN 'open' ELSE j.state END)
           AS state_at_cutoff,
       COALESCE(rh.occurred_at, CASE WHEN lh.history_id IS NULL AND j.resolved_at <= :cutoff THEN j.resolved_at END)
           AS resolved_at,
       rh.via AS resolved_via, rh.actor AS resolved_by, rp.name AS resolved_by_name, rh.reason AS resolution_reason
FROM judged j
LEFT JOIN finding_history lh ON lh.history_id = j.last_history_id
LEFT JOIN finding_history rh ON rh.history_id = j.resolution_id
LEFT JOIN people rp ON rp.person_id = rh.actor
ORDER BY j.account_id, j.rule_id, j.period, j.subject_id, j.finding_id
