-- ACC-4: the written filing of a change noted before; only once (the caller checks one row changed).
UPDATE account_changes
SET filed_by = :filed_by, filed_at = :filed_at, filing_ref = :filing_ref
WHERE change_id = :change_id AND filed_at IS NULL
