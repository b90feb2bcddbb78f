-- Audit pack (PUB-1, PUB-2, PUB-3, PUB-4): every item published in the year up to the cutoff (Shanghai calendar
-- year, [year_start, year_end) in UTC), with its approvals for the content hash it was published with, its
-- screening result, its dispatch attempts, who published it, and its archive bundle (filed by the cutoff).
-- Nothing recorded after the cutoff counts. Approvals and attempts are aggregated once and joined, not
-- looked up per item, so the statement stays one pass at ten million rows.
WITH approvals AS (
    SELECT s.post_id,
           COUNT(DISTINCT CASE WHEN s.decision = 'approved' THEN s.step_no END) AS approved_steps,
           SUM(CASE WHEN s.decision = 'rejected' THEN 1 ELSE 0 END) AS rejected_steps
    FROM approval_steps s
    JOIN posts p ON p.post_id = s.post_id AND p.content_hash = s.content_hash
    WHERE s.decided_at <= :cutoff
    GROUP BY s.post_id
),
attempts AS (
    SELECT d.post_id, COUNT(*) AS attempt_count,
           SUM(CASE WHEN d.outcome = 'ok' THEN 1 ELSE 0 END) AS ok_attempts
    FROM dispatch_attempts d
    WHERE d.started_at <= :cutoff
    GROUP BY d.post_id
)
SELECT i.item_id, i.account_id, i.platform, i.origin, i.platform_item_id, i.url, i.post_id,
       p.category, p.content_hash, p.approval_chain, p.screening, p.publish_at AS scheduled_at,
       i.published_at, i.confirmed_at, i.operator_id, op.name AS operator_name, i.platform_status, i.is_mass_send,
       COALESCE(ap.approved_steps, 0) AS approved_steps, COALESCE(ap.rejected_steps, 0) AS rejected_steps,
       COALESCE(at.attempt_count, 0) AS attempt_count, COALESCE(at.ok_attempts, 0) AS ok_attempts,
       h.is_late AS is_handoff_late, h.deadline_at AS handoff_deadline_at,
       x.bundle_path, x.manifest_sha256, x.archived_at
FROM published_items i
LEFT JOIN posts p ON p.post_id = i.post_id
LEFT JOIN people op ON op.person_id = i.operator_id
LEFT JOIN approvals ap ON ap.post_id = i.post_id
LEFT JOIN attempts at ON at.post_id = i.post_id
LEFT JOIN manual_handoffs h ON h.post_id = i.post_id
LEFT JOIN archive_index x ON x.item_id = i.item_id AND x.archived_at <= :cutoff
WHERE (:account_id IS NULL OR i.account_id = :account_id)
  AND i.published_at >= :year_start AND i.published_at < :year_end AND i.published_at <= :cutoff
ORDER BY i.account_id, i.published_at, i.item_id
