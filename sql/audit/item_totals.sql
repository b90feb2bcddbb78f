-- Audit group pack: the year's published items counted per account, origin, platform, Shanghai month and the
-- facts the verdict weighs (approved steps on the published hash, rejections, dispatch confirmed, archive
-- bundle), so ten million items come back as a few hundred thousand rows. The same filters as
-- published_items.sql: the account packs' item tables add up to these counts.
WITH approvals AS (
    SELECT s.post_id,
           COUNT(DISTINCT CASE WHEN s.decision = 'approved' THEN s.step_no END) AS approved_steps,
           SUM(CASE WHEN s.decision = 'rejected' THEN 1 ELSE 0 END) AS rejected_steps
    FROM approval_steps s
    JOIN posts p ON p.post_id = s.post_id AND p.content_hash = s.content_hash
    WHERE s.decided_at <= :cutoff
    GROUP BY s.post_id
),
items AS (
    SELECT i.account_id, i.origin, i.platform, i.post_id,
           SUBSTR(CAST({{ sql.date_of_epoch_day('(' ~ sql.epoch_seconds('i.published_at') ~ ' + 28800) / 86400') }} AS TEXT), 1, 7) AS month,
           CASE WHEN x.item_id IS NULL THEN 0 ELSE 1 END AS bundled
    FROM published_items i
    LEFT JOIN archive_index x ON x.item_id = i.item_id AND x.archived_at <= :cutoff
    WHERE (:account_id IS NULL OR i.account_id = :account_id)
      AND i.published_at >= :year_start AND i.published_at < :year_end AND i.published_at <= :cutoff
)
SELECT it.account_id, it.origin, it.platform, it.month,
       CASE WHEN it.post_id IS NULL THEN -1 ELSE COALESCE(ap.approved_steps, 0) END AS approved_steps,
       CASE WHEN COALESCE(ap.rejected_steps, 0) > 0 THEN 1 ELSE 0 END AS rejected,
       it.bundled, COUNT(*) AS items
FROM items it
LEFT JOIN approvals ap ON ap.post_id = it.post_id
GROUP BY it.account_id, it.origin, it.platform, it.month,
         CASE WHEN it.post_id IS NULL THEN -1 ELSE COALESCE(ap.approved_steps, 0) END,
         CASE WHEN COALESCE(ap.rejected_steps, 0) > 0 THEN 1 ELSE 0 END, it.bundled
ORDER BY it.account_id, it.origin, it.platform, it.month, approved_steps, rejected, it.bundled
