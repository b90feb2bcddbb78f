-- Bulk load of the scale log (PostgreSQL docs, "Populating a Database"): per-row foreign-key
-- checks and random-order index inserts dominate COPY time, so for the load the log's foreign
-- keys and secondary indexes are dropped, and added back afterwards in the same transaction:
-- the keys are then validated in one set-based check and each index is built in one sort.
ALTER TABLE published_items
    DROP CONSTRAINT published_items_account_id_fkey,
    DROP CONSTRAINT published_items_operator_id_fkey;

CREATE TEMP TABLE scale_log_indexes ON COMMIT DROP AS
SELECT i.indexname, i.indexdef
FROM pg_indexes i
WHERE i.schemaname = current_schema()
  AND i.tablename = 'published_items'
  AND NOT EXISTS (   -- indexes behind a primary key or unique constraint stay
      SELECT 1 FROM pg_constraint c
      WHERE c.conindid = to_regclass(quote_ident(i.schemaname) || '.' || quote_ident(i.indexname))
  );

DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT indexname FROM scale_log_indexes LOOP
        EXECUTE 'DROP INDEX ' || quote_ident(r.indexname);
    END LOOP;
END
$$;
