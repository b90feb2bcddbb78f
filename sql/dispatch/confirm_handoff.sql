-- The first confirmation counts; the caller checks that one row changed.
UPDATE manual_handoffs
SET confirmed_link = :link, confirmed_by = :confirmed_by, confirmed_at = :confirmed_at, is_late = :is_late
WHERE post_id = :post_id AND confirmed_at IS NULL
