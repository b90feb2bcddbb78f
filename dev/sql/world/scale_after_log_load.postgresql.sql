-- After the scale log's COPY: rebuild the secondary indexes dropped before it, then the foreign keys
-- (validated over all rows before the transaction commits).
DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT indexdef FROM scale_log_indexes LOOP
        EXECUTE r.indexdef;
    END LOOP;
END
$$;

ALTER TABLE published_items
    ADD CONSTRAINT published_items_account_id_fkey FOREIGN KEY (account_id) REFERENCES accounts (account_id),
    ADD CONSTRAINT published_items_operator_id_fkey FOREIGN KEY (operator_id) REFERENCES people (person_id);
